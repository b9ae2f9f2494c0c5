/**
 * The plans of ha-replication-mismatch once its guards held: the config edits that mend a mismatch
 * (align-ha, add-replication) and the recovery of a dead node's guest onto its replica.
 */
import type { PlanDraftInput } from "../../engine/model.js";
import type { Placement } from "../guards/ha-placement.js";
import { list, placementWords } from "../guards/ha-replication.js";
import type { ReplicationJob } from "../parsers/replication-cfg.js";
import { type GuestRef, guestLabel } from "../probes/guests.js";
import { HA_FILES, replicationWarnings } from "../probes/ha-config.js";
import type { HaReplicationFacts } from "../probes/ha-replication.js";
import { replicasCoverHa } from "./ha-checks.js";
import { addReplicationStep, alignHaSteps, recoverSteps } from "./ha-config.js";

export function mismatchPlan(
  fix: "align-ha" | "add-replication",
  facts: HaReplicationFacts,
  p: Placement,
  stranded: readonly string[],
): PlanDraftInput {
  const warnings = replicationWarnings(facts.config, facts.health, p.vmid);
  const why = placementWords(p);
  const edit =
    fix === "align-ha"
      ? alignHaSteps(facts.config, p, facts.writer, why)
      : addReplicationStep(facts.config, p, facts.writer, why);
  const { steps } = edit;
  warnings.push(...edit.warnings);
  if (fix === "align-ha") {
    warnings.push(
      `HA will no longer start ${p.sid} on ${list(p.missing)}: when none of ${list(p.replicaNodes)} is up, it stays down until someone acts`,
      ...stranded.map((s) => `${s} (--fix add-replication re-targets it)`),
    );
  }
  for (const file of facts.config.normalised.filter((f) => steps.some((s) => s.files?.includes(HA_FILES[f]))))
    warnings.push(
      `${HA_FILES[file]} has comments or a layout PVE does not write: the rewrite keeps every section and key but not those bytes (the backup does)`,
    );
  return {
    summary:
      fix === "align-ha"
        ? `Restrict HA for ${p.sid} so every node HA may pick holds a replica`
        : `${p.selfTargeted.length > 0 ? "Re-target and add" : "Add"} replication for ${p.sid} so every node HA may pick holds a replica`,
    warnings,
    steps,
    postconditions: [
      replicasCoverHa.at(facts.writer, `every node HA may pick for ${p.sid} holds a replica`, {
        vmid: p.vmid,
      }),
    ],
  };
}

export function recoverPlan(
  facts: HaReplicationFacts,
  guest: GuestRef,
  to: string,
  job: ReplicationJob,
): PlanDraftInput {
  const label = guestLabel(guest);
  const resource = facts.config.resources.find((r) => r.vmid === guest.vmid);
  const ha = resource ? { sid: resource.sid, state: resource.state } : null;
  const steps = recoverSteps({ guest, to, jobId: job.id, seenBy: facts.cluster.seenBy!, ha });
  return {
    summary: `Recover ${label} from the dead node ${guest.node} onto ${to}, where its replica is`,
    warnings: [
      ...facts.services
        .filter((sv) => sv.sid === ha?.sid)
        .map((sv) => `HA reports ${sv.sid} as '${sv.state}' on ${sv.node ?? "no node"}`),
      `${label} starts from the last completed sync of job ${job.id} (schedule ${job.schedule}); writes after it are lost. pvesr status can only be read on ${guest.node}, which is down.`,
      `Afterwards: job ${job.id} targets the node the guest now runs on; re-create replication to another node${resource ? `, then hand ${resource.sid} back to HA (\`ha-manager set ${resource.sid} --state ${resource.state === "ignored" ? "started" : resource.state}\`)` : ""}`,
    ],
    steps,
  };
}
