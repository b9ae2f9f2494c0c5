/**
 * hung-nfs: lazy-unmount a hung network storage (NFS/CIFS) and let PVE mount it again.
 */
import { z } from "zod";
import type { Decision, Finding, StepInput } from "../src/engine/model.js";
import { NodeParam, StorageParam } from "../src/engine/params.js";
import { defineRunbook, type ProbeContext } from "../src/engine/runbook.js";
import { isNetworkStorage, storageMountPath } from "../src/pve/parsers/storage-cfg.js";
import { guestLabel } from "../src/pve/probes/guests.js";
import {
  GuestUse,
  guestsUsingStorage,
  Liveness,
  MountEntry,
  mountLiveness,
  mountOf,
  pvesmState,
  readStorageCfg,
  ServerState,
  serverAddress,
  serverState,
} from "../src/pve/probes/storage.js";
import { lazyUnmountAndRemountStep } from "../src/pve/steps/mounts.js";
import { TransportError } from "../src/transport/errors.js";

const Params = z
  .object({
    storage: StorageParam.describe("Storage id from /etc/pve/storage.cfg (nfs or cifs)"),
    node: NodeParam.optional().describe("Only this node (default: every node where the mount hangs)"),
  })
  .strict();
type Params = z.infer<typeof Params>;

const NodeMount = z.object({
  node: z.string(),
  mount: MountEntry.nullable(),
  liveness: Liveness,
  /** Checked only where the mount hangs: it decides whether a remount can help. */
  server: ServerState.nullable(),
});

const Facts = z.object({
  storage: z
    .object({
      id: z.string(),
      type: z.string(),
      mountpoint: z.string(),
      content: z.array(z.string()),
      network: z.boolean(),
    })
    .nullable(),
  known: z.array(z.string()),
  mounts: z.array(NodeMount),
  guests: z.array(GuestUse),
  /** Nodes that could not be checked (no --node given): named, never silently skipped. */
  unreachable: z.array(z.object({ node: z.string(), reason: z.string() })),
});
type Facts = z.infer<typeof Facts>;

async function probe(ctx: ProbeContext, { storage: id, node }: Params): Promise<Facts> {
  const entries = await readStorageCfg(ctx);
  const entry = entries.find((e) => e.id === id);
  const known = entries.filter(isNetworkStorage).map((e) => e.id);
  const none = { mounts: [], guests: [], unreachable: [] };
  if (!entry) return { storage: null, known, ...none };
  const mountpoint = storageMountPath(entry) ?? `/mnt/pve/${id}`;
  const storage = {
    id,
    type: entry.type,
    mountpoint,
    content: entry.content,
    network: isNetworkStorage(entry),
  };
  if (!storage.network) return { storage, known, ...none };
  const nodes = ctx.nodes.filter(
    (n) => (entry.nodes === null || entry.nodes.includes(n)) && (!node || n === node),
  );
  const address = serverAddress(entry);
  const unreachable: Facts["unreachable"] = [];
  const mounts = await Promise.all(
    nodes.map(async (n) => {
      try {
        const mount = await mountOf(ctx, n, mountpoint);
        const liveness = await mountLiveness(ctx, n, mountpoint, mount !== null);
        const server = liveness === "hung" && address ? await serverState(ctx, n, address) : null;
        return { node: n, mount, liveness, server };
      } catch (error) {
        // The one node asked for is needed: its failure refuses the plan (node-unreachable).
        if (node || !(error instanceof TransportError)) throw error;
        unreachable.push({ node: n, reason: error.message });
        return null;
      }
    }),
  );
  const answered = mounts.filter((m): m is NonNullable<typeof m> => m !== null);
  const hungOn = answered.filter((m) => m.liveness === "hung").map((m) => m.node);
  // Guests matter only where the mount hangs; their configs are read on a node that answered.
  const guests =
    hungOn.length > 0 ? await guestsUsingStorage(ctx, id, { nodes: hungOn, readOn: hungOn[0]! }) : [];
  return { storage, known, mounts: answered, guests, unreachable };
}

function decide({ storage: id, node }: Params, facts: Facts): Decision {
  const { storage } = facts;
  if (!storage) {
    return refuse(
      "storage-not-found",
      `No storage '${id}' in /etc/pve/storage.cfg`,
      `network storages: ${facts.known.join(", ") || "none"}`,
    );
  }
  if (!storage.network) {
    return refuse(
      "storage-not-network",
      `Storage '${id}' is of type ${storage.type}, not a network mount`,
      "only nfs, cifs, glusterfs and cephfs mounts can hang this way",
    );
  }
  const unchecked = facts.unreachable.map((u) => `${u.node} (${u.reason})`);
  const hungAll = facts.mounts.filter((m) => m.liveness === "hung" && m.mount);
  const deadServer = hungAll.filter((m) => m.server?.answers === false);
  const hung = hungAll.filter((m) => m.server?.answers !== false);
  if (hung.length === 0 && deadServer.length > 0) {
    const m = deadServer[0]!;
    const server = m.server!;
    return refuse(
      "server-down",
      `The server ${server.address.host} of ${storage.type} storage '${id}' does not answer on port ${server.address.port} from ${deadServer.map((d) => d.node).join(", ")} (${server.detail})`,
      `Unmounting and mounting again cannot bring '${id}' back while its server is down, and mounting a dead export hangs again. ` +
        `Bring the server back (or disable the storage: \`pvesm set ${id} --disable 1\`), then run this runbook again. ` +
        `To detach the dead mount now, by hand: \`umount -nlf ${storage.mountpoint}\` on ${deadServer.map((d) => d.node).join(", ")}; PVE does not mount it again until the server answers its connection check.`,
      m.node,
    );
  }
  if (hung.length === 0) {
    const where = node ? `on ${node}` : "on any node that answered";
    if (unchecked.length > 0) {
      return refuse(
        "node-unreachable",
        `Cannot tell whether ${id} hangs on ${facts.unreachable.map((u) => u.node).join(", ")}: not answering`,
        `${unchecked.join("; ")}. It does not hang ${where} (${facts.mounts.map((m) => `${m.node}: ${m.liveness}`).join(", ") || "none"}).`,
        facts.unreachable[0]!.node,
      );
    }
    return {
      kind: "nothing-to-do",
      reason: `${id} is not hung ${where} (${facts.mounts.map((m) => `${m.node}: ${m.liveness}`).join(", ")})`,
    };
  }
  const steps: StepInput[] = hung.map(({ node: n, mount, server }) => {
    const users = facts.guests.filter((g) => g.node === n);
    const running = users.filter((g) => g.running);
    const describe = (gs: GuestUse[]) =>
      gs
        .map((g) => `${guestLabel(g)} (${g.running ? "running" : "stopped"}; ${g.keys.join(", ")})`)
        .join(", ");
    return lazyUnmountAndRemountStep({
      node: n,
      storage: id,
      mountpoint: storage.mountpoint,
      mount: mount!,
      server: server?.address ?? null,
      risk: users.length === 0 ? "safe" : "guarded",
      reason:
        (users.length === 0
          ? `${storage.mountpoint} does not answer statfs within 5 s on ${n}; no guest on ${n} has a volume on ${id} (content: ${storage.content.join(",")})`
          : `${storage.mountpoint} does not answer statfs within 5 s on ${n}; guests on ${n} use ${id}: ${describe(users)}`) +
        (server
          ? `; its server ${server.address.host} ${server.answers ? `answers on port ${server.address.port}` : server.detail}`
          : ""),
      ...(users.length > 0
        ? {
            warning:
              running.length > 0
                ? `Running guests use ${id} on ${n}: ${describe(running)}. Processes already blocked on the hung mount stay blocked or get I/O errors (stale file handles); new file access goes to the fresh mount. Consider stopping these guests first.`
                : `Stopped guests use ${id} on ${n}: ${describe(users)}. They cannot start until the storage is mounted again.`,
          }
        : {}),
    });
  });
  return {
    kind: "plan",
    plan: {
      summary: `Lazy-unmount the hung ${storage.type} storage '${id}' on ${hung.map((h) => h.node).join(", ")} and let PVE mount it again`,
      warnings: [
        ...facts.guests
          .filter((g) => g.running && hung.some((h) => h.node === g.node))
          .map((g) => `${guestLabel(g)} runs on ${g.node} with volumes on ${id} (${g.keys.join(", ")})`),
        ...deadServer.map(
          (d) =>
            `Left alone on ${d.node}: its server ${d.server!.address.host} does not answer (${d.server!.detail})`,
        ),
        ...(unchecked.length > 0 ? [`Not checked, not answering: ${unchecked.join("; ")}`] : []),
      ],
      steps,
    },
  };
}

function refuse(
  code: "storage-not-found" | "storage-not-network" | "server-down" | "node-unreachable",
  message: string,
  detail: string,
  node?: string,
): Decision {
  return { kind: "refusal", refusal: { code, message, detail, ...(node ? { node } : {}) } };
}

export default defineRunbook({
  meta: {
    id: "hung-nfs",
    summary: "Lazy-unmount a hung NFS/CIFS storage on the nodes where it hangs and let PVE mount it again",
    description:
      "PVE keeps mounting network storages but never unmounts a hung one: `df`, `stat` and pvestatd block on it and the GUI shows question marks. `umount -nlf` detaches the dead mount; PVE's storage activation then mounts it again.",
    risk: "guarded",
    unattended: "eligible",
    undo: "full",
    checks: [
      "the storage entry in /etc/pve/storage.cfg (type nfs/cifs, mount point /mnt/pve/<id>, content, nodes)",
      "per node, whether the mount answers `stat -f` within 5 s (under `timeout -s KILL`)",
      "the /proc/mounts entry (source, type, options) so the undo can mount it again",
      "where it hangs, whether the server answers a TCP connect from that node (NFS port 2049, SMB port 445, `timeout -s KILL 3`), before acting and again before any remount",
      "every guest with a volume on the storage, and whether it runs",
    ],
    asks: [
      "a confirmation per node when any guest on that node has a volume on the storage (unattended: stops with exit 4)",
    ],
    changes: [
      "`umount -nlf <mountpoint>` on each node where the mount hangs",
      "`pvesm status --storage <id>` on that node, which makes PVE mount the storage again",
    ],
    undoes: [
      "`mount -t <type> -o <recorded options> <source> <mountpoint>` (already mounted counts as undone); skipped while the server does not answer, so the undo never mounts a dead export (PVE mounts it once the server is back)",
    ],
    refuses: {
      "storage-not-found": "no such storage",
      "storage-not-network": "not an nfs/cifs/glusterfs/cephfs storage",
      "server-down":
        "the storage server does not answer from the node where the mount hangs: a remount cannot help and a new mount would hang again",
      "node-unreachable":
        "the node given with --node does not answer, or (without --node) nothing hangs on the nodes that answered and some did not answer",
    },
    notes: [
      "Safe without a human only when no guest has a volume on the storage (ISO/template stores).",
      "Processes blocked in D state on the old mount are not woken by the unmount.",
    ],
    seeAlso: ["proxmox-facts §8 (storage.cfg, pvesm status, hung NFS)"],
  },
  params: Params,
  examples: [
    { intent: "Recover the ISO store that hangs on pve3", params: { storage: "nfs-iso" } },
    { intent: "Recover the backup store on pve2 only", params: { storage: "nfs-backup", node: "pve2" } },
  ],
  probe,
  decide,
  checks: {
    async "storage-responsive"(ctx, check) {
      const { storage, mountpoint } = z
        .object({ storage: z.string(), mountpoint: z.string() })
        .parse(check.args);
      const mount = await mountOf(ctx, check.node, mountpoint);
      if (!mount) return { ok: false, detail: `${mountpoint} is not mounted` };
      const liveness = await mountLiveness(ctx, check.node, mountpoint, true);
      if (liveness !== "responsive")
        return { ok: false, detail: `${mountpoint} is mounted but does not answer statfs` };
      const state = await pvesmState(ctx, check.node, storage);
      return state === "active"
        ? { ok: true, detail: `${storage} is active and answers` }
        : { ok: false, detail: `pvesm reports ${storage} as ${state ?? "missing"}` };
    },
  },
  async detect(ctx): Promise<Finding[]> {
    const storages = (await readStorageCfg(ctx)).filter((e) => isNetworkStorage(e) && !e.disabled);
    const findings: Finding[] = [];
    // Storages are independent: probe them all at once. A node that does not answer is left out
    // by the probe (and named by diagnose), so the others are still reported.
    const probed = await Promise.all(
      storages.map(async (entry) => ({ entry, facts: await probe(ctx, { storage: entry.id }) })),
    );
    for (const { entry, facts } of probed) {
      for (const m of facts.mounts.filter((x) => x.liveness === "hung")) {
        const users = facts.guests.filter((g) => g.node === m.node);
        const running = users.filter((g) => g.running);
        const who =
          running.length > 0
            ? `; running guests affected: ${running.map((g) => guestLabel(g)).join(", ")}`
            : users.length > 0
              ? `; stopped guests use it: ${users.map((g) => guestLabel(g)).join(", ")}`
              : "; no guest uses it";
        const base = {
          runbook: "hung-nfs",
          severity: running.length > 0 ? ("critical" as const) : ("warning" as const),
          node: m.node,
          params: { storage: entry.id, node: m.node },
        };
        if (m.server?.answers === false) {
          // Not a remount's job, and never unattended: the mount would hang again.
          findings.push({
            ...base,
            summary: `${entry.type} storage '${entry.id}' hangs on ${m.node} because its server ${m.server.address.host} does not answer on port ${m.server.address.port} (${m.server.detail}); a remount cannot help until the server is back${who}`,
            command: `pvefix plan hung-nfs --storage ${entry.id} --node ${m.node}`,
          });
          continue;
        }
        findings.push({
          ...base,
          summary: `${entry.type} storage '${entry.id}' hangs on ${m.node}${who}`,
          command: `pvefix run hung-nfs --storage ${entry.id} --node ${m.node}${users.length === 0 ? " --unattended" : ""}`,
        });
      }
    }
    return findings;
  },
});
