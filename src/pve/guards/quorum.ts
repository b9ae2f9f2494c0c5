/**
 * The quorum guard: would the cluster keep quorum while a node's corosync is stopped? Pure: it reads
 * the vote views the probes (probes/services.ts) gathered.
 */
import type { Refusal } from "../../engine/model.js";
import type { CorosyncVote, VoteView } from "../probes/services.js";

/**
 * The votes `view` keeps when the node `nodeId` leaves it, against the quorum it needs. Pure.
 * An unknown id counts as a member with one vote (PVE's default), so the guess errs on the safe side.
 */
export function votesWithout(
  view: VoteView,
  nodeId: number | null,
): { left: number; quorum: number; holds: boolean } {
  const member = nodeId === null ? { votes: 1 } : view.members.find((m) => m.nodeId === nodeId);
  const left = view.totalVotes - (member?.votes ?? 0);
  return { left, quorum: view.quorum, holds: view.quorate && left >= view.quorum };
}

/**
 * The quorum guard, pure: would the cluster keep quorum while `node`'s corosync is stopped? Read from
 * the other nodes' views (quorate first, then the largest). A refusal when it would not, or when no
 * view can show it; otherwise what to tell the operator at the corosync stop.
 */
export function quorumGuard(
  node: string,
  views: readonly VoteView[],
  vote: CorosyncVote | null,
): { refusal: Refusal } | { warning: string } {
  const view = [...views].sort(
    (a, b) => Number(b.quorate) - Number(a.quorate) || b.totalVotes - a.totalVotes,
  )[0];
  if (!view) {
    const message = `No other node answers pvecm status: nothing shows the cluster keeps quorum without ${node}`;
    return { refusal: { code: "quorum-at-risk", node, message } };
  }
  const id = vote?.nodeId ?? null;
  const member = id === null || view.members.some((m) => m.nodeId === id);
  const w = votesWithout(view, id);
  const seen = `${view.node} sees ${view.totalVotes} votes, quorum ${view.quorum}`;
  if (view.quorate && !w.holds) {
    const guess = id === null ? ` (the node id of ${node} is unknown: counted as one vote)` : "";
    return {
      refusal: {
        code: "quorum-at-risk",
        node,
        message: `Stopping corosync on ${node} would leave the cluster ${w.left} of the ${w.quorum} votes it needs`,
        detail: `${seen}${guess}. Bring the missing nodes back first, then restart ${node}.`,
      },
    };
  }
  if (!view.quorate && (member || view.totalVotes + (vote?.votes ?? 1) < view.quorum)) {
    return {
      refusal: {
        code: "not-quorate",
        node,
        message: `The cluster has no quorum ${member ? "even with" : "with or without"} ${node} (${seen})`,
        detail: `a service restart cannot bring ${node} back into a quorate cluster; see \`pvefix explain not-quorate-config\``,
      },
    };
  }
  return {
    warning: view.quorate
      ? `${node} leaves the corosync membership until corosync starts again: the cluster keeps ${w.left} votes (quorum ${w.quorum}; ${seen})`
      : `${seen} and no quorum: ${node} rejoining should restore it`,
  };
}
