/** What diagnose says about one replication job after zfs-replication-divergence decided on it. */
import type { Decision } from "../../engine/model.js";
import { finding } from "../../kit/index.js";
import { divergedNames } from "../guards/zfs-replica.js";
import type { ZfsReplicationFacts } from "../probes/zfs-replication.js";

/**
 * Only jobs that fail for want of a common base snapshot: other failures, and jobs whose node is
 * down, are ha-replication-mismatch's and the cluster runbooks' to report.
 */
export function replicationFindings(job: string, target: string, facts: ZfsReplicationFacts, d: Decision) {
  const state = facts.status?.stateKind === "error" ? facts.status.state : null;
  if (d.kind === "nothing-to-do" || state === null || divergedNames(state) === null) return [];
  const summary = `job ${job} (${facts.label} → ${target}) fails: ${facts.status?.state.split("\n")[0] ?? "?"}`;
  const plan = d.kind === "plan";
  return [
    finding({
      severity: plan ? "critical" : "warning",
      summary: plan
        ? `${summary}; its replica can be set aside and resent whole`
        : `${summary}; pvefix will not touch the replica (${d.refusal.code}: ${d.refusal.message})`,
      verb: plan ? "run" : "plan",
      params: { job },
      node: target,
    }),
  ];
}
