/**
 * Storage facts: storage.cfg, what each node has mounted, whether the mount answers, and which
 * guests keep volumes there. A hung NFS mount makes `stat` hang forever, so liveness is tested
 * under `timeout -s KILL` on the node and a transport timeout on top.
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import { guestVolumes, parseGuestConfig } from "../parsers/guest-config.js";
import { parsePctList } from "../parsers/pct-list.js";
import { findMount, parseProcMounts } from "../parsers/proc-mounts.js";
import { parsePvesmStatus } from "../parsers/pvesm-status.js";
import { parseQmList } from "../parsers/qm-list.js";
import { parseStorageCfg, type StorageEntry } from "../parsers/storage-cfg.js";
import { type GuestRef, guestConfigPath, listGuests } from "./guests.js";

/** Seconds the node-side `timeout` gives a TCP connect to the storage server. */
export const SERVER_CONNECT_SECONDS = 3;

/** Where a network storage's server listens: NFS on 2049, SMB on 445. */
export const ServerAddress = z.object({ host: z.string(), port: z.number().int() });
export type ServerAddress = z.infer<typeof ServerAddress>;

export const ServerState = z.object({
  address: ServerAddress,
  answers: z.boolean().nullable(),
  /** "no answer within 3 s", "connection refused", or why it could not be tested. */
  detail: z.string(),
});
export type ServerState = z.infer<typeof ServerState>;

/** Host names and addresses only: the host ends up inside `bash -c`, so nothing else may pass. */
const HOST = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export function serverAddress(entry: StorageEntry): ServerAddress | null {
  const port = entry.type === "nfs" ? 2049 : entry.type === "cifs" ? 445 : null;
  const host = entry.server?.replace(/^\[(.*)\]$/, "$1");
  if (port === null || !host || !HOST.test(host)) return null;
  return { host, port };
}

/**
 * A TCP connect to the server from the node, killed after a few seconds. bash's /dev/tcp needs
 * no NFS tools and answers for NFS v3 and v4 and SMB alike; a dead server never answers, so the
 * connect hangs and `timeout -s KILL` ends it (exit 137).
 */
export function serverProbeCommand(address: ServerAddress): string {
  return sh`timeout -s KILL ${SERVER_CONNECT_SECONDS} bash -c ${`</dev/tcp/${address.host}/${address.port}`}`;
}

export async function serverState(
  ctx: ProbeContext,
  node: string,
  address: ServerAddress,
): Promise<ServerState> {
  const result = await ctx.run(node, serverProbeCommand(address), {
    timeoutMs: (SERVER_CONNECT_SECONDS + 5) * 1000,
  });
  if (result.exitCode === 0) return { address, answers: true, detail: "answers" };
  if (result.exitCode === 137 || result.timedOut)
    return { address, answers: false, detail: `no answer within ${SERVER_CONNECT_SECONDS} s` };
  if (result.exitCode === 1) {
    const why = /Connection refused|No route to host|Network is unreachable|Name or service not known/i.exec(
      result.stderr,
    );
    return { address, answers: false, detail: why ? why[0].toLowerCase() : result.stderr.trim() || "exit 1" };
  }
  // No bash, or something else: not knowing is not the same as a dead server.
  return {
    address,
    answers: null,
    detail: `could not test (exit ${result.exitCode ?? "none"}: ${result.stderr.trim() || "no output"})`,
  };
}

import { PVE_TOOL } from "./pve-tools.js";

/** Seconds the node-side `timeout` gives `stat -f` before declaring the mount hung. */
export const LIVENESS_SECONDS = 5;

export async function readStorageCfg(ctx: ProbeContext): Promise<StorageEntry[]> {
  const text = await ctx.readFile(await ctx.anyNode(), "/etc/pve/storage.cfg");
  return text === null ? [] : parseStorageCfg(text);
}

export const MountEntry = z.object({ source: z.string(), fstype: z.string(), options: z.string() });
export type MountEntry = z.infer<typeof MountEntry>;

export async function mountOf(
  ctx: ProbeContext,
  node: string,
  mountpoint: string,
): Promise<MountEntry | null> {
  const text = await ctx.readFile(node, "/proc/mounts");
  const mount = text === null ? undefined : findMount(parseProcMounts(text), mountpoint);
  return mount ? { source: mount.source, fstype: mount.fstype, options: mount.options } : null;
}

export const Liveness = z.enum(["responsive", "hung", "not-mounted"]);
export type Liveness = z.infer<typeof Liveness>;

export function livenessCommand(path: string): string {
  return sh`timeout -s KILL ${LIVENESS_SECONDS} stat -f -c %T ${path}`;
}

/** Does the mounted filesystem answer `statfs` within LIVENESS_SECONDS? */
export async function mountLiveness(
  ctx: ProbeContext,
  node: string,
  path: string,
  mounted: boolean,
): Promise<Liveness> {
  if (!mounted) return "not-mounted";
  const result = await ctx.run(node, livenessCommand(path), { timeoutMs: (LIVENESS_SECONDS + 5) * 1000 });
  return result.exitCode === 0 ? "responsive" : "hung";
}

/** `pvesm status --storage <id>`: PVE's own view (it activates, i.e. mounts, the storage). */
export async function pvesmState(ctx: ProbeContext, node: string, storage: string): Promise<string | null> {
  const result = await ctx.run(node, sh`pvesm status --storage ${storage}`, {
    ...PVE_TOOL,
    timeoutMs: 20_000,
  });
  const row = parsePvesmStatus(result.stdout).find((r) => r.name === storage);
  return row?.status ?? null;
}

export const GuestUse = z.object({
  vmid: z.number(),
  node: z.string(),
  kind: z.enum(["lxc", "qemu"]),
  running: z.boolean(),
  /** Config keys whose volumes live on the storage (`mp0`, `scsi1`, `ide2`…). */
  keys: z.array(z.string()),
});
export type GuestUse = z.infer<typeof GuestUse>;

/**
 * Guests with any volume on `storage`, and whether each runs; only guests on `nodes` when given
 * (a plan for one node needs nothing from the others). Configs are read on `readOn`, any node that
 * answers: /etc/pve is the same on every quorate node, so no other node has to answer.
 */
export async function guestsUsingStorage(
  ctx: ProbeContext,
  storage: string,
  options: { nodes?: readonly string[]; readOn?: string } = {},
): Promise<GuestUse[]> {
  const guests = (await listGuests(ctx)).filter((g) => !options.nodes || options.nodes.includes(g.node));
  const reader = options.readOn ?? (await ctx.anyNode());
  const uses = await Promise.all(
    guests.map(async (g) => {
      const text = await ctx.readFile(reader, guestConfigPath(g));
      if (text === null) return null;
      const keys = guestVolumes(parseGuestConfig(text).main)
        .filter((v) => v.storage === storage)
        .map((v) => v.key);
      return keys.length > 0 ? { guest: g, keys } : null;
    }),
  );
  const using = uses.filter((u): u is { guest: GuestRef; keys: string[] } => u !== null);
  const running = await runningGuestIds(ctx, [...new Set(using.map((u) => u.guest.node))]);
  return using.map(({ guest, keys }) => ({
    vmid: guest.vmid,
    node: guest.node,
    kind: guest.kind,
    running: running.has(guest.vmid),
    keys,
  }));
}

/** Ids of running guests on the given nodes (`pct list` and `qm list`). */
export async function runningGuestIds(ctx: ProbeContext, nodes: readonly string[]): Promise<Set<number>> {
  const ids = new Set<number>();
  await Promise.all(
    nodes.map(async (node) => {
      const [pct, qm] = await Promise.all([
        ctx.run(node, "pct list", PVE_TOOL),
        ctx.run(node, "qm list", PVE_TOOL),
      ]);
      for (const row of pct.exitCode === 0 ? parsePctList(pct.stdout) : [])
        if (row.status === "running") ids.add(row.vmid);
      for (const row of qm.exitCode === 0 ? parseQmList(qm.stdout) : [])
        if (row.status === "running") ids.add(row.vmid);
    }),
  );
  return ids;
}
