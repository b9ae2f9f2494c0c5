/**
 * The guards of one node's service restart, in order: the quorum guard (when corosync would stop),
 * then the fencing guard (--with-ha cannot fix a quorum problem). Pure.
 */
import { type FindingInput, finding } from "../../kit/finding.js";
import type { CodedRefusal } from "../../kit/refuse.js";
import { otherViews, type RestartFacts } from "../probes/service-restart.js";
import type { NodeHealth, RestartableUnit } from "../probes/services.js";
import { fencingGuard, type HaStop } from "./ha-fencing.js";
import { restartQuorumGuard } from "./quorum.js";

export interface RestartHeld {
  /** Those of the units that run now and are stopped first; the others are only started. */
  stopped: RestartableUnit[];
  fencing: HaStop;
  quorum: { warning?: string };
  /** Whether another node has a quorate view the node's return can be checked against. */
  othersQuorate: boolean;
}

export function restartGuards(
  facts: RestartFacts,
  t: NodeHealth,
  units: readonly RestartableUnit[],
  withHa: boolean,
): { refusal: CodedRefusal<"quorum-at-risk" | "not-quorate" | "ha-armed"> } | RestartHeld {
  // A corosync that is not running holds no vote: starting it can only add one, never cost the quorum.
  const corosyncRuns = t.units.corosync === "active";
  const quorum = units.includes("corosync") && corosyncRuns ? restartQuorumGuard(facts, t.node) : {};
  if ("refusal" in quorum) return quorum;
  // Only stopping corosync or pmxcfs can starve an armed watchdog; starting them cannot.
  const stopped = units.filter((u) => !["inactive", "failed"].includes(t.units[u] ?? ""));
  const view = facts.ha.find((h) => h.node === t.node);
  const fencing = fencingGuard({ health: t, view, stopped, withHa });
  if ("refusal" in fencing) return fencing;
  return { stopped, fencing, quorum, othersQuorate: otherViews(facts, t.node).some((v) => v.quorate) };
}

/**
 * diagnose's finding for a node whose services are not healthy, from the decision for restarting
 * just those units (`armed`: it was planned again with --with-ha after an ha-armed refusal).
 */
export function restartFinding(
  health: NodeHealth,
  sick: ReadonlyArray<{ unit: RestartableUnit; problems: string[] }>,
  decision: { kind: string; refusal?: { message: string } },
  armed: boolean,
): FindingInput {
  const { node } = health;
  const services = sick.map((s) => s.unit);
  const hung = health.etcPve.state === "hung" || health.tools.state === "hung";
  // Without corosync or pmxcfs the node is out of the cluster and /etc/pve is read-only there.
  const core = services.some(
    (u) => (u === "corosync" || u === "pve-cluster") && health.units[u] !== "active",
  );
  const why = decision.refusal
    ? `; a restart is refused now: ${decision.refusal.message}`
    : armed
      ? "; its HA watchdog is armed: the restart stops the HA units first"
      : "";
  return finding({
    severity: hung || core ? "critical" : "warning",
    node,
    params: { node, services: services.join(","), ...(armed ? { withHa: true } : {}) },
    summary: `PVE services on ${node} are not healthy: ${sick.flatMap((s) => s.problems).join("; ")}${why}`,
    verb: decision.kind === "plan" && !armed ? "run" : "plan",
  });
}
