/**
 * The quorum guard: would the cluster keep quorum while a node's corosync is stopped? Pure: it reads
 * the vote views the probes (probes/services.ts) gathered.
 */
import { type CodedRefusal, refusal } from "../../kit/refuse.js";
import { otherViews, type RestartFacts } from "../probes/service-restart.js";
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
): { refusal: CodedRefusal<"quorum-at-risk" | "not-quorate"> } | { warning: string } {
  const view = [...views].sort(
    (a, b) => Number(b.quorate) - Number(a.quorate) || b.totalVotes - a.totalVotes,
  )[0];
  if (!view) return { refusal: refusal("quorum-at-risk", { case: "no-view", node }) };
  const id = vote?.nodeId ?? null;
  const member = id === null || view.members.some((m) => m.nodeId === id);
  const w = votesWithout(view, id);
  const seen = `${view.node} sees ${view.totalVotes} votes, quorum ${view.quorum}`;
  if (view.quorate && !w.holds) {
    const guess = id === null ? ` (the node id of ${node} is unknown: counted as one vote)` : "";
    return { refusal: refusal("quorum-at-risk", { case: "votes", node, ...w, seen, guess }) };
  }
  if (!view.quorate && (member || view.totalVotes + (vote?.votes ?? 1) < view.quorum)) {
    return { refusal: refusal("not-quorate", { case: "restart", node, member, seen }) };
  }
  return {
    warning: view.quorate
      ? `${node} leaves the corosync membership until corosync starts again: the cluster keeps ${w.left} votes (quorum ${w.quorum}; ${seen})`
      : `${seen} and no quorum: ${node} rejoining should restore it`,
  };
}

/** `quorumGuard` over restart-pve-services' facts; with no other node in the inventory there is no quorum to lose. */
export function restartQuorumGuard(
  facts: RestartFacts,
  node: string,
): ReturnType<typeof quorumGuard> | { warning?: string } {
  if (facts.peers.length + facts.targets.length === 1) return {};
  return quorumGuard(node, otherViews(facts, node), facts.votes?.find((v) => v.name === node) ?? null);
}
