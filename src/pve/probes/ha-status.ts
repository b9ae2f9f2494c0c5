/**
 * Is a node's HA watchdog armed? An active LRM holds the watchdog; if the node then loses its agent
 * lock (pmxcfs or corosync stopped) for 60 s, the watchdog resets it. `ha-manager status` is only
 * fresh on a quorate node, so it is read there when possible (proxmox-facts §6.2, §9).
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { parseHaManagerStatus } from "../parsers/ha-manager-status.js";
import type { UnitState } from "../parsers/systemctl-is-active.js";
import { PVE_TOOL } from "./pve-tools.js";

export const HaNodeView = z.object({
  node: z.string(),
  /** Where `ha-manager status` was read; null when no candidate node answered. */
  source: z.string().nullable(),
  /** The source said `quorum OK`: only then are its LRM lines current. */
  trusted: z.boolean(),
  lrm: z.object({ state: z.string(), watchdog: z.string().nullable() }).nullable(),
  /** HA resources `ha-manager status` places on this node. */
  resources: z.array(z.object({ sid: z.string(), state: z.string() })),
});
export type HaNodeView = z.infer<typeof HaNodeView>;

const HA_STATUS_TIMEOUT_MS = 15_000;

/**
 * `ha-manager status` for `nodes`, read on the first candidate that answers (callers list quorate
 * nodes first). A candidate that fails or prints something unreadable is skipped.
 */
export async function haViewsOf(
  ctx: ProbeContext,
  nodes: readonly string[],
  candidates: readonly string[],
): Promise<HaNodeView[]> {
  for (const source of candidates) {
    const result = await ctx.run(source, "ha-manager status", {
      ...PVE_TOOL,
      timeoutMs: HA_STATUS_TIMEOUT_MS,
    });
    if (result.failed) continue;
    let status: ReturnType<typeof parseHaManagerStatus>;
    try {
      status = parseHaManagerStatus(result.stdout);
    } catch {
      continue;
    }
    return nodes.map((node) => {
      const lrm = status.lrms.find((l) => l.node === node);
      return {
        node,
        source,
        trusted: status.quorum.ok,
        lrm: lrm ? { state: lrm.state, watchdog: lrm.watchdog } : null,
        resources: status.services.filter((s) => s.node === node).map(({ sid, state }) => ({ sid, state })),
      };
    });
  }
  return nodes.map((node) => ({ node, source: null, trusted: false, lrm: null, resources: [] }));
}

const RUNNING: readonly UnitState[] = ["active", "activating", "deactivating", "reloading"];
/** LRM lines that no longer say what the LRM does now (proxmox-facts §6.2). */
const STALE = /old timestamp|time drift|unable to read/;

/**
 * What a fresh LRM line says about the watchdog; null when it cannot tell. The newer format's
 * watchdog field decides; otherwise `active` and `lost_agent_lock` (about to fence) hold it, `idle`
 * and `wait_for_agent_lock` do not, and a `<x> mode` line does not say.
 */
function lrmHoldsWatchdog(lrm: { state: string; watchdog: string | null }): boolean | null {
  if (STALE.test(lrm.state)) return null;
  if (lrm.watchdog) return lrm.watchdog === "watchdog active";
  if (lrm.state === "active" || lrm.state === "lost_agent_lock") return true;
  if (lrm.state === "idle" || lrm.state === "wait_for_agent_lock") return false;
  return null;
}

/**
 * Pure. Armed = a fresh LRM line on a quorate node says so. A quorate status without an lrm line or
 * resource for the node means HA does not run there. Whenever the status cannot tell (no quorate
 * source, a stale or unclear line), a running pve-ha-lrm unit counts as armed: the fencing guard
 * never assumes safety.
 */
export function watchdogArmed(
  view: HaNodeView,
  lrmUnit: UnitState | undefined,
): { armed: boolean; why: string } {
  const sids = view.resources.map((r) => r.sid).join(", ") || "no HA resource";
  const line = view.lrm
    ? `lrm ${view.node} (${view.lrm.state}${view.lrm.watchdog ? `, ${view.lrm.watchdog}` : ""}) with ${sids}`
    : `no lrm line for ${view.node}, ${sids}`;
  const holds = view.trusted && view.lrm ? lrmHoldsWatchdog(view.lrm) : null;
  if (holds !== null) return { armed: holds, why: `ha-manager status on ${view.source}: ${line}` };
  if (view.trusted && !view.lrm && view.resources.length === 0) {
    return { armed: false, why: `ha-manager status on ${view.source}: ${line}` };
  }
  const running = lrmUnit !== undefined && RUNNING.includes(lrmUnit);
  const seen = !view.source
    ? "no node could answer ha-manager status"
    : `ha-manager status on ${view.source} cannot tell (${view.trusted ? line : "a frozen view: no quorum there"})`;
  return {
    armed: running,
    why: `${seen}; pve-ha-lrm is ${lrmUnit ?? "unknown"} on ${view.node}${running ? ", so the watchdog may be armed" : ""}`,
  };
}
