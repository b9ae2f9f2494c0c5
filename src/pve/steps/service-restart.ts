/**
 * One node's part of a restart-pve-services plan, once its guards held: the steps in the fixed order
 * and the warnings about what the plan leaves as it is.
 */
import type { StepInput } from "../../engine/model.js";
import type { HaStop } from "../guards/ha-fencing.js";
import { type NodeHealth, OTHER_UNITS, type RestartableUnit, STOP_ORDER } from "../probes/services.js";
import { restartServicesSteps } from "./services.js";

export function restartNodePlan(o: {
  health: NodeHealth;
  problems: readonly string[];
  units: readonly RestartableUnit[];
  /** Those of `units` that run now: a unit that does not run is only started. */
  stopped: readonly RestartableUnit[];
  fencing: HaStop;
  /** What stopping corosync does to the quorum, from the quorum guard. */
  quorum: { warning?: string };
  /** Whether another node has a quorate view the node's return can be checked against. */
  othersQuorate: boolean;
}): { steps: StepInput[]; warnings: string[] } {
  const { health: t, units, fencing } = o;
  const warnings = [
    ...fencing.warnings,
    ...STOP_ORDER.filter((u) => !units.includes(u) && t.units[u] !== "active").map(
      (u) => `${t.node}: ${u} is ${t.units[u]} but not in --services: it stays so`,
    ),
    ...OTHER_UNITS.filter((u) => t.units[u] === "failed").map(
      (u) => `${t.node}: ${u} is failed; this runbook does not restart it`,
    ),
  ];
  // Without a quorate view elsewhere (every corosync was down), one node's return cannot make it quorate.
  const verifyQuorum = t.units.corosync === "active" || o.othersQuorate;
  if (!verifyQuorum && units.includes("corosync"))
    warnings.push(
      `${t.node}: no other node is quorate, so its return is checked by corosync being active; the cluster is quorate again once enough nodes run corosync`,
    );
  const steps = restartServicesSteps({
    node: t.node,
    units,
    // Stopping a unit that does not run would change nothing, and undoing that stop would start it.
    running: o.stopped,
    risk: fencing.ha ? "dangerous" : "guarded",
    reason: `${o.problems.join("; ")} on ${t.node}${fencing.ha ? `; ${fencing.why}` : ""}`,
    ha: fencing.ha,
    verifyQuorum,
    ...(o.quorum.warning ? { corosyncWarning: o.quorum.warning } : {}),
  });
  return { steps, warnings };
}
