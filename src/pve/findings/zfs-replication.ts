/** What diagnose says about one replication job after zfs-replication-divergence decided on it. */
import type { Decision } from "../../engine/model.js";
import { finding } from "../../kit/index.js";
import type { ZfsReplicationFacts } from "../probes/zfs-replication.js";

export function replicationFindings(job: string, target: string, facts: ZfsReplicationFacts, d: Decision) {
  if (d.kind === "nothing-to-do") return [];
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
