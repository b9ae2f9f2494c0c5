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

/** Guests with any volume on `storage`, and whether each runs. */
export async function guestsUsingStorage(ctx: ProbeContext, storage: string): Promise<GuestUse[]> {
  const guests = await listGuests(ctx);
  const uses = await Promise.all(
    guests.map(async (g) => {
      const text = await ctx.readFile(g.node, guestConfigPath(g));
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
