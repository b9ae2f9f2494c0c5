/**
 * hung-nfs: lazy-unmount a hung network storage (NFS/CIFS) and let PVE mount it again.
 */
import { z } from "zod";
import { NodeParam, StorageParam } from "../src/engine/params.js";
import { defineRunbook, finding, refuse } from "../src/kit/index.js";
import { isNetworkStorage } from "../src/pve/parsers/storage-cfg.js";
import { guestLabel } from "../src/pve/probes/guests.js";
import { type HungMounts, hungMountsOf } from "../src/pve/probes/hung-mounts.js";
import { readStorageCfg } from "../src/pve/probes/storage.js";
import { lazyUnmountAndRemountStep, remountHungStep } from "../src/pve/steps/mounts.js";

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
  params: z
    .object({
      storage: StorageParam.describe("Storage id from /etc/pve/storage.cfg (nfs or cifs)"),
      node: NodeParam.optional().describe("Only this node (default: every node where the mount hangs)"),
    })
    .strict(),
  examples: [
    { intent: "Recover the ISO store that hangs on pve3", params: { storage: "nfs-iso" } },
    { intent: "Recover the backup store on pve2 only", params: { storage: "nfs-backup", node: "pve2" } },
  ],
  steps: [lazyUnmountAndRemountStep],
  probe: (ctx, { storage, node }): Promise<HungMounts> => hungMountsOf(ctx, storage, node),

  decide({ storage: id, node }, facts) {
    const { storage } = facts;
    if (!storage) return refuse("storage-not-found", { id, known: facts.known });
    if (!storage.network) return refuse("storage-not-network", { id, type: storage.type });
    const hungAll = facts.mounts.filter((m) => m.liveness === "hung" && m.mount);
    const deadServer = hungAll.filter((m) => m.server?.answers === false);
    const hung = hungAll.filter((m) => m.server?.answers !== false);
    const nodes = deadServer.map((d) => d.node);
    if (hung.length === 0 && deadServer.length > 0)
      return refuse("server-down", { ...storage, server: deadServer[0]!.server!, nodes });
    const unchecked = facts.unreachable.map((u) => `${u.node} (${u.reason})`);
    const where = node ? `on ${node}` : "on any node that answered";
    const states = facts.mounts.map((m) => `${m.node}: ${m.liveness}`);
    if (hung.length === 0 && unchecked.length > 0) {
      const at = { storage: id, unreachable: facts.unreachable, where, states };
      return refuse("node-unreachable", { case: "mount-unchecked", ...at });
    }
    if (hung.length === 0)
      return { kind: "nothing-to-do", reason: `${id} is not hung ${where} (${states.join(", ")})` };
    const on = (g: { node: string }) => hung.some((h) => h.node === g.node);
    return {
      kind: "plan",
      plan: {
        summary: `Lazy-unmount the hung ${storage.type} storage '${id}' on ${hung.map((h) => h.node).join(", ")} and let PVE mount it again`,
        warnings: [
          ...facts.guests
            .filter((g) => g.running && on(g))
            .map((g) => `${guestLabel(g)} runs on ${g.node} with volumes on ${id} (${g.keys.join(", ")})`),
          ...deadServer.map(
            (d) =>
              `Left alone on ${d.node}: its server ${d.server!.address.host} does not answer (${d.server!.detail})`,
          ),
          ...(unchecked.length > 0 ? [`Not checked, not answering: ${unchecked.join("; ")}`] : []),
        ],
        steps: hung.map((m) => remountHungStep(storage, m, facts.guests)),
      },
    };
  },

  async detect(ctx) {
    const storages = (await readStorageCfg(ctx)).filter((e) => isNetworkStorage(e) && !e.disabled);
    // Storages are independent: probe them all at once. A node that does not answer is left out
    // by the probe (and named by diagnose), so the others are still reported.
    const probed = await Promise.all(
      storages.map(async (e) => ({ e, facts: await hungMountsOf(ctx, e.id) })),
    );
    return probed.flatMap(({ e, facts }) =>
      facts.mounts
        .filter((m) => m.liveness === "hung")
        .map((m) => {
          const users = facts.guests.filter((g) => g.node === m.node);
          const running = users.filter((g) => g.running);
          const who =
            running.length > 0
              ? `; running guests affected: ${running.map((g) => guestLabel(g)).join(", ")}`
              : users.length > 0
                ? `; stopped guests use it: ${users.map((g) => guestLabel(g)).join(", ")}`
                : "; no guest uses it";
          const at = {
            severity: running.length > 0 ? ("critical" as const) : ("warning" as const),
            node: m.node,
            params: { storage: e.id, node: m.node },
          };
          const hangs = `${e.type} storage '${e.id}' hangs on ${m.node}`;
          // A dead server is not a remount's job, and never unattended: the mount would hang again.
          return m.server?.answers === false
            ? finding({
                ...at,
                summary: `${hangs} because its server ${m.server.address.host} does not answer on port ${m.server.address.port} (${m.server.detail}); a remount cannot help until the server is back${who}`,
                verb: "plan",
              })
            : finding({ ...at, summary: `${hangs}${who}`, verb: "run", unattended: users.length === 0 });
        }),
    );
  },
});
