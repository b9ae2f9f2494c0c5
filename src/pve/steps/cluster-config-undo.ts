/**
 * Undo's guard for the not-quorate edit (cluster-config.ts), on facts probed when the undo runs:
 * an undo that forces quorum again (`pvecm expected`, `pmxcfs -l`) passes the same split-brain
 * guard as the forward step and asks at the same dangerous gate; giving forced quorum up again (a
 * corosync restart, ending local mode, starting pve-cluster) is safe, as in the forward plan; a
 * restore into /etc/pve needs /etc/pve writable on its node by then. Pure, like `decide`.
 */
import type { Refusal, Step, UndoGuard } from "../../engine/model.js";
import type { UndoContext } from "../../engine/runbook.js";
import { splitBrainGuard } from "../guards/split-brain.js";
import { type ConfNode, type NodeClusterState, PMXCFS_PIDFILE } from "../probes/corosync.js";

export interface UndoFacts {
  states: readonly NodeClusterState[];
  nodelist: readonly ConfNode[];
  /** The node the run wrote on; `disconnected` is as that node sees its peers. */
  target: string;
  disconnected: readonly string[] | null;
  nodesDown: readonly string[];
}

/** The undo command of `step` that makes its node quorate by force, if it has one. */
export function forcingCommand(step: Step): string | null {
  if (step.undo.kind !== "actions") return null;
  for (const a of step.undo.actions) {
    if (a.kind === "exec" && (/^pvecm expected \d+$/.test(a.command) || a.command === "pmxcfs -l"))
      return a.command;
  }
  return null;
}

/**
 * Undos that give forced quorum up and put the normal services back: the same commands the
 * forward plan runs as safe steps (restore-expected-votes, stop-pmxcfs-local-mode, start-pve-cluster).
 */
const BACK_TO_NORMAL = new Set([
  "systemctl restart corosync",
  `pkill -F ${PMXCFS_PIDFILE}`,
  "systemctl start pve-cluster",
]);

function backToNormal(step: Step): boolean {
  return (
    step.undo.kind === "actions" &&
    step.undo.actions.every((a) => a.kind === "exec" && BACK_TO_NORMAL.has(a.command))
  );
}

export function clusterConfigUndoGuard(f: UndoFacts, step: Step, undo: UndoContext): UndoGuard {
  const node = step.node;
  const t = f.states.find((s) => s.node === node);
  const refuse = (code: Refusal["code"], message: string, detail: string): UndoGuard => ({
    ok: false,
    refusal: { code, message, detail, node },
  });
  const forcing = forcingCommand(step);
  if (forcing !== null) {
    const what = `Undoing ${step.id} runs \`${forcing}\` on ${node}`;
    if (!t?.reachable) return refuse("node-unreachable", `${what}, which does not answer over SSH`, "");
    const local = f.states.find((s) => s.localModePid !== null && s.node !== node);
    if (local)
      return refuse(
        "local-mode-elsewhere",
        `${what}, but pmxcfs runs in local mode on ${local.node} (pid ${local.localModePid})`,
        "Never two local-mode nodes at once: finish the work there first.",
      );
    const partners = (t.quorum?.members.length ?? 1) - 1;
    if (t.quorum?.quorate && partners > 0)
      return refuse(
        "split-brain-risk",
        `${what}, but ${node} is quorate with ${partners} other node(s) now`,
        `Forcing quorum would lower expected votes for its whole partition. The cluster has quorum again: put the old file back with \`pvefix plan not-quorate-config --node ${node} --restore-backup ${undo.runId}\` instead.`,
      );
    const guard = splitBrainGuard({
      states: f.states,
      target: node,
      nodelist: f.nodelist,
      disconnected: node === f.target ? f.disconnected : null,
      nodesDown: f.nodesDown,
    });
    if (!guard.ok) {
      const quorate = f.states.find((s) => s.node === guard.refusal.node && s.quorum?.quorate);
      const detail = quorate
        ? `A quorate partition exists: put back what run ${undo.runId} changed from there (\`pvefix plan not-quorate-config --node ${quorate.node} --restore-backup ${undo.runId}\`), or undo again once ${node} has rejoined it.`
        : guard.refusal.detail;
      return {
        ok: false,
        refusal: {
          ...guard.refusal,
          message: `${what}, but ${guard.refusal.message}`,
          ...(detail ? { detail } : {}),
        },
      };
    }
    if (!t.quorum?.quorate && partners > 0)
      return refuse(
        "split-brain-risk",
        `${what}, but ${node} is not alone in its corosync partition`,
        `\`pvecm expected\` would reach the ${partners} other member(s) of ${node}'s partition too.`,
      );
    return {
      ok: true,
      risk: "dangerous",
      warning: guard.warning(`the undo runs \`${forcing}\`, which makes ${node} quorate on its own`),
      evidence: guard.evidence,
    };
  }
  if (backToNormal(step))
    return {
      ok: true,
      risk: "safe",
      evidence: `this gives ${node}'s forced quorum up and puts its services back, as the run's own safe steps do`,
    };
  const pveRestores =
    step.undo.kind === "actions"
      ? step.undo.actions.filter((a) => a.kind === "restore-file" && a.path.startsWith("/etc/pve/"))
      : [];
  if (pveRestores.length > 0) {
    const writable =
      (t?.quorum?.quorate ?? false) ||
      (t?.localModePid ?? null) !== null ||
      undo.before.some((s) => s.node === node && forcingCommand(s) !== null);
    if (!writable)
      return refuse(
        "not-quorate",
        `Undoing ${step.id} writes /etc/pve on ${node}, which is read-only there now (not quorate)`,
        "No earlier undo step makes it writable; once the cluster has quorum again, undo again.",
      );
  }
  return { ok: true };
}
