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
} from "../src/pve/probes/storage.js";
import { lazyUnmountAndRemountStep } from "../src/pve/steps/mounts.js";

const Params = z
  .object({
    storage: StorageParam.describe("Storage id from /etc/pve/storage.cfg (nfs or cifs)"),
    node: NodeParam.optional().describe("Only this node (default: every node where the mount hangs)"),
  })
  .strict();
type Params = z.infer<typeof Params>;

const NodeMount = z.object({ node: z.string(), mount: MountEntry.nullable(), liveness: Liveness });

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
});
type Facts = z.infer<typeof Facts>;

async function probe(ctx: ProbeContext, { storage: id, node }: Params): Promise<Facts> {
  const entries = await readStorageCfg(ctx);
  const entry = entries.find((e) => e.id === id);
  const known = entries.filter(isNetworkStorage).map((e) => e.id);
  if (!entry) return { storage: null, known, mounts: [], guests: [] };
  const mountpoint = storageMountPath(entry) ?? `/mnt/pve/${id}`;
  const storage = {
    id,
    type: entry.type,
    mountpoint,
    content: entry.content,
    network: isNetworkStorage(entry),
  };
  if (!storage.network) return { storage, known, mounts: [], guests: [] };
  const nodes = ctx.nodes.filter(
    (n) => (entry.nodes === null || entry.nodes.includes(n)) && (!node || n === node),
  );
  const [mounts, guests] = await Promise.all([
    Promise.all(
      nodes.map(async (n) => {
        const mount = await mountOf(ctx, n, mountpoint);
        return { node: n, mount, liveness: await mountLiveness(ctx, n, mountpoint, mount !== null) };
      }),
    ),
    guestsUsingStorage(ctx, id),
  ]);
  return { storage, known, mounts, guests };
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
  const hung = facts.mounts.filter((m) => m.liveness === "hung" && m.mount);
  if (hung.length === 0) {
    const where = node ? `on ${node}` : "on any node";
    return {
      kind: "nothing-to-do",
      reason: `${id} is not hung ${where} (${facts.mounts.map((m) => `${m.node}: ${m.liveness}`).join(", ")})`,
    };
  }
  const steps: StepInput[] = hung.map(({ node: n, mount }) => {
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
      risk: users.length === 0 ? "safe" : "guarded",
      reason:
        users.length === 0
          ? `${storage.mountpoint} does not answer statfs within 5 s on ${n}; no guest on ${n} has a volume on ${id} (content: ${storage.content.join(",")})`
          : `${storage.mountpoint} does not answer statfs within 5 s on ${n}; guests on ${n} use ${id}: ${describe(users)}`,
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
      warnings: facts.guests
        .filter((g) => g.running && hung.some((h) => h.node === g.node))
        .map((g) => `${guestLabel(g)} runs on ${g.node} with volumes on ${id} (${g.keys.join(", ")})`),
      steps,
    },
  };
}

function refuse(
  code: "storage-not-found" | "storage-not-network",
  message: string,
  detail: string,
): Decision {
  return { kind: "refusal", refusal: { code, message, detail } };
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
      "`mount -t <type> -o <recorded options> <source> <mountpoint>` (already mounted counts as undone)",
    ],
    refuses: [
      "storage-not-found: no such storage",
      "storage-not-network: not an nfs/cifs/glusterfs/cephfs storage",
    ],
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
    // Storages are independent: probe them all at once.
    const probed = await Promise.all(
      storages.map(async (entry) => ({ entry, facts: await probe(ctx, { storage: entry.id }) })),
    );
    for (const { entry, facts } of probed) {
      for (const m of facts.mounts.filter((x) => x.liveness === "hung")) {
        const users = facts.guests.filter((g) => g.node === m.node);
        const running = users.filter((g) => g.running);
        findings.push({
          runbook: "hung-nfs",
          severity: running.length > 0 ? "critical" : "warning",
          node: m.node,
          params: { storage: entry.id, node: m.node },
          summary:
            `${entry.type} storage '${entry.id}' hangs on ${m.node}` +
            (running.length > 0
              ? `; running guests affected: ${running.map((g) => guestLabel(g)).join(", ")}`
              : users.length > 0
                ? `; stopped guests use it: ${users.map((g) => guestLabel(g)).join(", ")}`
                : "; no guest uses it"),
          command: `pvefix run hung-nfs --storage ${entry.id} --node ${m.node}${users.length === 0 ? " --unattended" : ""}`,
        });
      }
    }
    return findings;
  },
});
