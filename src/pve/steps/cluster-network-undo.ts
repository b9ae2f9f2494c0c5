/**
 * Undo's guard for cluster-network, on facts probed when the undo runs: writing an earlier
 * corosync.conf back needs every node online and quorate (a node that misses the copy keeps the
 * links it has), and /etc/pve/corosync.conf must not have moved past the version the undo writes
 * (pmxcfs would not copy it, and a later change would be lost). Pure, like `decide`.
 */
import type { Step, UndoGuard } from "../../engine/model.js";
import { refusal } from "../../kit/refuse.js";
import { configVersionOf } from "../parsers/corosync-conf.js";
import type { ClusterNetworkFacts } from "../probes/cluster-network.js";
import { PVE_COROSYNC_CONF } from "../probes/corosync.js";

export function clusterNetworkUndoGuard(f: ClusterNetworkFacts, step: Step): UndoGuard {
  const writes = step.undo.kind === "actions" ? step.undo.actions : [];
  const write = writes.find((a) => a.kind === "write-file" && a.path === `${PVE_COROSYNC_CONF}.new`);
  // Putting an earlier corosync.conf.bak back touches no running service: no gate of its own.
  if (write?.kind !== "write-file")
    return { ok: true, risk: "safe", evidence: "it puts back a copy no service reads" };
  const offline = f.states.flatMap((s) => {
    const why = !s.reachable
      ? "does not answer over SSH"
      : s.quorum?.quorate
        ? null
        : `not quorate (${s.quorumProblem ?? `corosync ${s.corosync ?? "unknown"}`})`;
    return why === null ? [] : [{ node: s.node, why }];
  });
  if (offline.length > 0)
    return { ok: false, refusal: refusal("cluster-degraded", { case: "offline", nodes: offline }) };
  const undoVersion = configVersionOf(write.content) ?? 0;
  const version = f.conf === null ? null : configVersionOf(f.conf);
  if (version !== null && version >= undoVersion)
    return {
      ok: false,
      refusal: refusal("link-conflict", { case: "changed-since", version, undoVersion, step: step.id }),
    };
  return {
    ok: true,
    risk: "dangerous",
    warning: `This writes the corosync.conf from before ${step.id} back (config_version ${undoVersion}); every node's corosync reloads it at once.`,
    evidence: `every node is online and quorate; /etc/pve/corosync.conf is at config_version ${version ?? "(unread)"}, below ${undoVersion}`,
  };
}
