/**
 * Design rule 5, from the membership facts (corosync.ts): force quorum on a node only when no other
 * group of nodes is or could become quorate at the same time. Pure: reads only the facts it is given.
 */
import { z } from "zod";
import type { Refusal } from "../../engine/model.js";
import type { ConfNode, NodeClusterState } from "./corosync.js";

export const OtherSide = z.object({
  /** Nodes that might be running together without the target: SSH-unreachable ones and the largest view seen. */
  nodes: z.array(z.string()),
  votes: z.number().int(),
  /** Votes a partition needs: half the configured votes plus one. */
  quorum: z.number().int(),
});
export type OtherSide = z.infer<typeof OtherSide>;

/**
 * The worst partition the nodes outside `target`'s membership could form: every SSH-unreachable node
 * not attested powered off (we cannot see them, so assume they run and see each other) plus the largest
 * membership view among the reachable ones. Pure: it reads only the facts it is given.
 */
export function otherSide(o: {
  states: readonly NodeClusterState[];
  target: string;
  nodelist: readonly ConfNode[];
  nodesDown: readonly string[];
}): OtherSide {
  const nameOf = (id: number) => o.nodelist.find((n) => n.nodeid === id)?.name ?? `nodeid ${id}`;
  const votesOf = (name: string) => o.nodelist.find((n) => n.name === name)?.votes ?? 1;
  const target = o.states.find((s) => s.node === o.target);
  const ours = new Set([o.target, ...(target?.quorum?.members ?? []).map(nameOf)]);
  const outside = o.states.filter((s) => !ours.has(s.node));
  const unseen = outside.filter((s) => !s.reachable && !o.nodesDown.includes(s.node)).map((s) => s.node);
  const views = outside
    .filter((s) => s.reachable)
    .map((s) => (s.quorum?.members ?? []).map(nameOf).filter((n) => !ours.has(n)));
  const sum = (names: string[]) => names.reduce((total, n) => total + votesOf(n), 0);
  const largest = views.reduce<string[]>((best, v) => (sum(v) > sum(best) ? v : best), []);
  const nodes = [...new Set([...unseen, ...largest])].sort();
  const configured = o.nodelist.reduce((total, n) => total + n.votes, 0) || o.states.length;
  return { nodes, votes: sum(nodes), quorum: Math.floor(configured / 2) + 1 };
}

/**
 * Every node outside `target`'s membership whose corosync may run (unseen, or reachable with corosync
 * active), and their votes: what the other side holds once its own links heal. Pure.
 */
export function healedSide(o: {
  states: readonly NodeClusterState[];
  target: string;
  nodelist: readonly ConfNode[];
  nodesDown: readonly string[];
}): { nodes: string[]; votes: number } {
  const nameOf = (id: number) => o.nodelist.find((n) => n.nodeid === id)?.name ?? `nodeid ${id}`;
  const votesOf = (name: string) => o.nodelist.find((n) => n.name === name)?.votes ?? 1;
  const target = o.states.find((s) => s.node === o.target);
  const ours = new Set([o.target, ...(target?.quorum?.members ?? []).map(nameOf)]);
  const nodes = o.states
    .filter((s) => !ours.has(s.node) && !o.nodesDown.includes(s.node))
    .filter((s) => !s.reachable || s.corosync === "active")
    .map((s) => s.node)
    .sort();
  return { nodes, votes: nodes.reduce((total, n) => total + votesOf(n), 0) };
}

export type SplitBrainGuard =
  | { ok: false; refusal: Refusal }
  | {
      ok: true;
      /** What was proved, in words for the step reason. */
      evidence: string;
      /** The gate text for a step that forces quorum: `action` says how. */
      warning(action: string): string;
    };

const list = (names: readonly string[]) => names.join(", ");
const verb = (names: { length: number }, one: string, many: string) => (names.length === 1 ? one : many);

/**
 * Design rule 5: force quorum on `target` only when no other group of nodes is or could become
 * quorate at the same time. Acts only on positive evidence: a node it cannot see counts as alive
 * unless the operator attests it is powered off.
 */
export function splitBrainGuard(o: {
  states: readonly NodeClusterState[];
  target: string;
  nodelist: readonly ConfNode[];
  /** Peers the target sees disconnected on every link (null without corosync there). */
  disconnected: readonly string[] | null;
  nodesDown: readonly string[];
}): SplitBrainGuard {
  const t = o.states.find((s) => s.node === o.target);
  const members = new Set(
    (t?.quorum?.members ?? []).map((id) => o.nodelist.find((n) => n.nodeid === id)?.name ?? ""),
  );
  const risk = (message: string, detail: string, node?: string): SplitBrainGuard => ({
    ok: false,
    refusal: { code: "split-brain-risk", message, detail, ...(node ? { node } : {}) },
  });
  const answering = o.nodesDown.filter((n) => o.states.some((s) => s.node === n && s.reachable));
  if (answering.length > 0)
    return risk(
      `${list(answering)} ${verb(answering, "answers", "answer")} over SSH, but --nodes-down says powered off`,
      "--nodes-down is only for nodes you have verified are off; check which machine you powered off",
      answering[0],
    );
  const quorate = o.states
    .filter((s) => s.node !== o.target && s.quorum?.quorate && !(t?.quorum?.quorate && members.has(s.node)))
    .map((s) => s.node);
  if (quorate.length > 0)
    return risk(
      `${list(quorate)} ${verb(quorate, "is", "are")} quorate without ${o.target}`,
      `A quorate partition exists: make the change there (\`pvefix plan not-quorate-config --node ${quorate[0]}\` with the same --file or --restore-backup) instead of forcing quorum on ${o.target}.`,
      quorate[0],
    );
  if (t?.quorum?.quorate) return { ok: true, evidence: `${o.target} is quorate`, warning: (a) => a };
  const blind = o.states.filter(
    (s) => s.reachable && s.node !== o.target && s.quorum === null && s.corosync === "active",
  );
  if (blind.length > 0)
    return risk(
      `Cannot tell whether ${list(blind.map((s) => s.node))} ${verb(blind, "is", "are")} quorate`,
      blind.map((s) => `${s.node}: ${s.quorumProblem}`).join("\n"),
      blind[0]!.node,
    );
  const side = otherSide(o);
  const unseen = o.states.filter((s) => !s.reachable && !o.nodesDown.includes(s.node)).map((s) => s.node);
  const healed = healedSide(o);
  if (side.votes >= side.quorum)
    return risk(
      `${list(side.nodes)} could form a quorate partition without ${o.target} (${side.votes} votes, quorum is ${side.quorum})`,
      unseen.length > 0
        ? `pvefix cannot see ${list(unseen)}. If you have verified they are powered off, say so: --nodes-down ${unseen.join(",")}`
        : "These nodes see each other: restore the network or fix the cluster from their side.",
    );
  const facts = [
    o.disconnected === null
      ? `corosync does not run on ${o.target}`
      : o.disconnected.length > 0
        ? `${list(o.disconnected)} ${verb(o.disconnected, "is", "are")} disconnected from ${o.target} on every corosync link`
        : `${o.target} sees no peer disconnected on every link`,
    "no reachable node is quorate",
    `the largest partition outside ${o.target} that may exist now (${list(side.nodes) || "none"}) holds ${side.votes} of the ${side.quorum} votes quorum needs`,
    ...(healed.nodes.length > side.nodes.length
      ? [
          `if their links heal, ${list(healed.nodes)} together hold ${healed.votes} votes${healed.votes >= side.quorum ? ": enough for quorum, so keep them cut off (or powered off) until this run has ended" : ""}`,
        ]
      : []),
    ...(o.nodesDown.length > 0 ? [`powered off per --nodes-down: ${list(o.nodesDown)}`] : []),
  ];
  const evidence = facts.join("; ");
  return {
    ok: true,
    evidence,
    warning: (action) =>
      `Split-brain risk: ${action}. If the other nodes find each other while this lasts, two halves of the cluster can both write /etc/pve and start the same guest twice. pvefix checked: ${evidence}. Go on only if nobody else is repairing this cluster right now.`,
  };
}
