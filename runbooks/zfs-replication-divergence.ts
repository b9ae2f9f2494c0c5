/**
 * zfs-replication-divergence: a ZFS replication job fails because source and target no longer
 * share a snapshot. Set the target's diverged copy aside (renamed, never destroyed), let the job
 * send the disk whole, and purge the old copy later only on an explicit, typed request.
 */
import { z } from "zod";
import { RunIdParam } from "../src/engine/params.js";
import { defineRunbook, refuse } from "../src/kit/index.js";
import { replicationFindings } from "../src/pve/findings/zfs-replication.js";
import { checkPurge, checkReplica, setAsideUndoGuard } from "../src/pve/guards/zfs-replica.js";
import { haSurvey } from "../src/pve/probes/ha-replication.js";
import {
  stableZfsFacts,
  type ZfsReplicationFacts,
  zfsReplicationFacts,
} from "../src/pve/probes/zfs-replication.js";
import { purgeSetAsideStep, resyncStep, setAsideReplicaStep } from "../src/pve/steps/zfs-replica.js";
import { purgePlan, resyncPlan } from "../src/pve/steps/zfs-replica-plan.js";

export default defineRunbook({
  meta: {
    id: "zfs-replication-divergence",
    summary: "Resync a ZFS replication job whose source and target lost their common snapshot",
    description:
      'When a replica and its source diverge (a restore on the source, a rollback or a stray snapshot on the target), every run of the job fails with "No common base snapshot" and the replica grows old. PVE\'s advice is to delete the target volume so the next run sends it whole. This runbook proves the target copy is a mere replica, renames it aside instead of destroying it, triggers the job and waits for a successful full sync. Destroying the set-aside copy is a separate, typed request (`--purge-renamed <run> --confirm <dataset>`).',
    risk: "dangerous",
    unattended: "never",
    undo: "partial",
    checks: [
      "/etc/pve/replication.cfg, /etc/pve/.vmlist and the guest's config (its volumes; storage.cfg maps them to ZFS datasets), read on a quorate node; every node SSH-reachable and quorate",
      "`pvesr status` and /var/log/pve/replicate/<job> on the guest's node: the job's fail count and error; only 'No common base snapshot', 'volume … already exists' and 'base snapshot … doesn't exist' are fixed",
      "on both nodes `zfs list -H -p -o name,guid,creation,used,avail,written` and `-t snapshot -o name,guid,creation` of each volume; `zpool list -H -p` on the target",
      "the copy is a replica: the guest lives on the source, no other guest config on the target names the volume, nothing wrote to it since its newest snapshot (`written` 0), no target snapshot is newer than the source's last common state",
      "HA (`ha-manager status`): the guest is not being moved or recovered; a failover the target could receive is named at the gate",
      "the target pool has room for a full copy beside the one set aside",
    ],
    asks: [
      "the target's node name before each copy is renamed aside; yes/no before the job is triggered",
      "purge: the set-aside dataset's full name as --confirm, then the node name at the gate",
    ],
    refuses: {
      "replication-job-not-found": "no such job in replication.cfg",
      "guest-not-found": "the job's guest is in no node's config",
      "node-unreachable": "the guest's node or the target does not answer",
      "guest-on-target": "the guest lives on the job's target",
      "not-divergence": "the job fails for another reason (network, storage, a lock)",
      "ha-moving": "HA is migrating, relocating or recovering the guest",
      "replica-in-use": "another guest config on the target names the volume",
      "replica-written": "the target copy was written since its newest snapshot",
      "replica-newer": "the target copy has a snapshot newer than the source's last common state",
      "replica-no-space": "the target pool cannot hold a full copy",
      "set-aside-gone": "undo: the copy the run set aside was purged or renamed by hand",
      "purge-not-confirmed": "--purge-renamed without the exact dataset name as --confirm",
      "purge-not-safe":
        "the run is unknown, failed or undone, its copy is gone, or the job has not synced since",
    },
    labUnreachable: {
      "set-aside-gone":
        "an undo guard, reached only by `pvefix undo` of a run whose set-aside copy was purged since; planning an example never reaches it. Its test: test/integration/runbooks/zfs-replication-divergence.test.ts",
      "purge-not-confirmed":
        "needs a completed run of this runbook in the operator's pvefix journal, which no lab state holds: for a run the journal lacks, the answer is purge-not-safe. Its test: test/integration/runbooks/zfs-replication-divergence.test.ts",
    },
    notes: [
      "The copy is renamed to `<pool>/pvefix-<guid>-<vol>`: a name still starting with `vm-<vmid>-` would be destroyed as a stale volume by the very replication run this triggers (`pvesr prepare-local-job`).",
      "Undo is full for the resync; the purge mode (`--purge-renamed`) is the one irreversible step, and it only runs for a completed, not undone run whose job has synced since.",
      "Undo after a successful resync moves the new replica to `<pool>/pvefix-<guid>-resync-<vol>` and puts the old copy back; the job then fails as before. `--purge-renamed <run>` of the undone run removes that copy.",
      "The lab runs a job made due by `pvesr schedule-now` the next time `pvesr status` is read on the guest's node, standing in for pvescheduler.",
    ],
    seeAlso: ["proxmox-facts §7 (replication)", "ha-replication-mismatch"],
  },
  params: z
    .object({
      job: z
        .string()
        .regex(/^\d{3,9}-\d{1,9}$/, "Expected a replication job id such as 100-0")
        .describe("Replication job id (`<vmid>-<n>`)"),
      purgeRenamed: RunIdParam.optional().describe(
        "Destroy the copy this earlier run set aside (irreversible)",
      ),
      confirm: z
        .string()
        .optional()
        .describe("--purge-renamed only: the set-aside dataset's full name, typed"),
    })
    .strict()
    .refine((p) => p.confirm === undefined || p.purgeRenamed !== undefined, {
      message: "--confirm only applies to --purge-renamed",
      path: ["confirm"],
    }),
  examples: [
    { intent: "Resync job 100-0 after vm:100's disk was restored on its node", params: { job: "100-0" } },
    {
      intent: "Destroy the copy run 20261123T103500Z-zfs-replication-divergence-1a2b set aside",
      params: {
        job: "100-0",
        purgeRenamed: "20261123T103500Z-zfs-replication-divergence-1a2b",
        confirm: "rpool/data/pvefix-14256297334175800688-vm-100-disk-0",
      },
    },
  ],
  steps: [setAsideReplicaStep, resyncStep, purgeSetAsideStep],

  probe: (ctx, p): Promise<ZfsReplicationFacts> => zfsReplicationFacts(ctx, p.job, p.purgeRenamed ?? null),

  decide(params, f: ZfsReplicationFacts) {
    if (!f.job) return refuse("replication-job-not-found", { job: params.job, known: f.knownJobs });
    if (!f.guest) return refuse("guest-not-found", { vmid: f.job.guest });
    const down = [f.guest.node, f.job.target].find(
      (n) => !f.cluster.nodes.some((c) => c.name === n && c.reachable),
    );
    if (down)
      return refuse("node-unreachable", {
        message: `${down} does not answer over SSH`,
        detail: `job ${f.job.id} needs both its source and its target`,
        node: down,
      });
    if (params.purgeRenamed !== undefined) {
      const p = checkPurge(params.purgeRenamed, params.confirm ?? null, f);
      return "refusal" in p ? { kind: "refusal", refusal: p.refusal } : { kind: "plan", plan: purgePlan(p) };
    }
    const c = checkReplica(f);
    if (c.kind === "healthy") return { kind: "nothing-to-do", reason: c.reason };
    if (c.kind === "refused") return { kind: "refusal", refusal: c.refusal };
    return { kind: "plan", plan: resyncPlan(f, c) };
  },

  stableFacts: stableZfsFacts,

  guardUndo: (_params, facts, step) => setAsideUndoGuard(facts, step),

  async detect(ctx) {
    const { config } = await haSurvey(ctx);
    const found = await Promise.all(
      config.jobs.map(async (j) => {
        const facts = await this.probe(ctx, { job: j.id });
        return replicationFindings(j.id, j.target, facts, this.decide({ job: j.id }, facts));
      }),
    );
    return found.flat();
  },
});
