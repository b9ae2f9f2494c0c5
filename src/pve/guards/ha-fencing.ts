/**
 * The fencing guard of a service restart: stopping corosync or pmxcfs under an armed HA watchdog can
 * make it reset the node. Pure; `--with-ha` stops the HA units first instead of refusing.
 */
import { type CodedRefusal, refusal } from "../../kit/refuse.js";
import { type HaNodeView, watchdogArmed } from "../probes/ha-status.js";
import type { NodeHealth, RestartableUnit } from "../probes/services.js";

/** The HA units to stop first (none when the watchdog cannot fire) and what the operator is told. */
export interface HaStop {
  ha: { crm: boolean; resources: string[] } | null;
  why: string;
  warnings: string[];
}

export function fencingGuard(o: {
  health: NodeHealth;
  view: HaNodeView | undefined;
  /** The units the plan stops (only a stop can starve the watchdog; a start cannot). */
  stopped: readonly RestartableUnit[];
  withHa: boolean;
}): { refusal: CodedRefusal<"ha-armed"> } | HaStop {
  const t = o.health;
  const view = o.view ?? { node: t.node, source: null, trusted: false, lrm: null, resources: [] };
  const arm = watchdogArmed(view, t.units["pve-ha-lrm"]);
  const sids = view.resources.map((r) => r.sid);
  const fencing = arm.armed && (o.stopped.includes("corosync") || o.stopped.includes("pve-cluster"));
  if (fencing && !o.withHa) {
    return { refusal: refusal("ha-armed", { node: t.node, sids, why: arm.why }) };
  }
  const ha = fencing ? { crm: t.units["pve-ha-crm"] === "active", resources: sids } : null;
  const warnings = [
    ...(o.withHa && !ha ? [`${t.node}: HA units left running (${arm.why})`] : []),
    ...(ha ? [`${t.node}: HA resources ${sids.join(", ") || "none"} freeze until pve-ha-lrm starts`] : []),
  ];
  return { ha, why: arm.why, warnings };
}
