/**
 * What diagnose reports about ZeroTier on one node, from its facts: the loop (critical), a bridge
 * port ZeroTier can route over (warning), a corosync link over ZeroTier (warning). Pure.
 */
import { type FindingInput, finding } from "../../kit/finding.js";
import { bridgeBlacklisted } from "../guards/zerotier-blacklist.js";
import {
  bridgedZerotier,
  describeGrowth,
  heartbeatOverZerotier,
  ZEROTIER_RUNNING,
  type ZerotierFacts,
} from "../probes/zerotier.js";

/** `verb`: what the loop and open-bridge findings propose (`run` when a fix would be planned). */
export function zerotierFindings(f: ZerotierFacts, verb: "run" | "plan"): FindingInput[] {
  const params = { node: f.node };
  const at = { node: f.node, params };
  const heartbeat = heartbeatOverZerotier(f)
    .filter((r) => r.node === f.node)
    .map((r) =>
      finding({
        ...at,
        severity: "warning",
        summary: `corosync link ${r.link} of ${f.node} (${r.addr}) runs over the ZeroTier network ${r.cidr}: the heartbeat depends on ZeroTier`,
        verb: "explain",
      }),
    );
  const open = bridgedZerotier(f)
    .filter((b) => !bridgeBlacklisted(f, b.bridge))
    .map((b) => `${b.dev} is a port of ${b.bridge}`);
  const loop = open.length > 0 ? ` (${open.join(", ")}: ZeroTier routes over itself)` : "";
  if (f.memory.growing && ZEROTIER_RUNNING.has(f.service)) {
    const summary = `${describeGrowth(f.memory)} on ${f.node}${loop}; it ends with the OOM killer or HA fencing`;
    return [finding({ ...at, severity: "critical", summary, verb }), ...heartbeat];
  }
  if (open.length === 0) return heartbeat;
  const summary = `${open.join(", ")} on ${f.node} and local.conf does not blacklist it: ZeroTier can route over itself`;
  return [finding({ ...at, severity: "warning", summary, verb }), ...heartbeat];
}
