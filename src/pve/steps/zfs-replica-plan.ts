/** The plans of zfs-replication-divergence, composed from the guards' verdicts. */
import type { PlanDraftInput } from "../../engine/model.js";
import type { PurgeTarget, ReplicaCheck } from "../guards/zfs-replica.js";
import type { ZfsReplicationFacts } from "../probes/zfs-replication.js";
import { purgeSetAsideStep, resyncStep, setAsideReplicaStep } from "./zfs-replica.js";

type Diverged = Extract<ReplicaCheck, { kind: "diverged" }>;

/** Each diverged copy set aside on the target, then the job triggered on the guest's node. */
export function resyncPlan(f: ZfsReplicationFacts, c: Diverged): PlanDraftInput {
  const job = f.job!;
  const guest = f.guest!;
  const why = `job ${job.id} fails (${f.status?.failCount ?? 0} times): ${f.status?.state.split("\n")[0] ?? ""}`;
  const steps = c.volumes.map((v) =>
    setAsideReplicaStep({
      node: job.target,
      dataset: v.dataset,
      guid: v.target.guid,
      volid: v.volid,
      job: job.id,
      reason: `${why}; ${v.dataset} on ${job.target} is only the job's replica (no other guest uses it, nothing wrote to it since its last snapshot, no snapshot newer than ${guest.node}'s)`,
      warning: c.haWarning ?? `${v.dataset} is renamed, not destroyed: \`pvefix undo\` puts it back.`,
    }),
  );
  steps.push(
    resyncStep({
      node: guest.node,
      job: job.id,
      target: job.target,
      lastSync: f.status?.lastSync ?? null,
      bytes: c.need,
      rate: job.rate,
    }),
  );
  return {
    summary: `Set aside ${c.volumes.length} diverged replica(s) of ${f.label} on ${job.target} and resync job ${job.id} in full`,
    warnings: c.haWarning ? [c.haWarning] : [],
    steps,
  };
}

export function purgePlan(p: PurgeTarget): PlanDraftInput {
  return {
    summary: `Destroy ${p.dataset} on ${p.node}, left by run ${p.run}`,
    steps: [purgeSetAsideStep(p)],
  };
}
