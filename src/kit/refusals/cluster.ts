/** Refusals about quorum, corosync and pmxcfs. */
import { entry, onNode, type RefusalWords } from "./entry.js";

const list = (names: readonly string[]) => names.join(", ");
const verb = (names: { length: number }, one: string, many: string) => (names.length === 1 ? one : many);

/** Each guard that finds no quorum says why in its own words (a lock, a restart, a write, a recovery). */
type NotQuorate =
  | { node: string; staleLock: string }
  | { case: "restart"; node: string; member: boolean; seen: string }
  | { case: "read-only"; writer: string }
  | { case: "owner-unproven"; owner: string }
  | { case: "not-member"; node: string };

function notQuorateWords(d: NotQuorate): RefusalWords {
  if (!("case" in d))
    return {
      message: `${d.node} has no quorum: /etc/pve is read-only`,
      detail: `the lock '${d.staleLock}' is stale (no running task holds it), but it can only be removed on ${d.node} once it is quorate again: restore quorum first (see \`pvefix explain not-quorate-config\`)`,
      ...onNode(d.node),
    };
  switch (d.case) {
    case "restart":
      return {
        message: `The cluster has no quorum ${d.member ? "even with" : "with or without"} ${d.node} (${d.seen})`,
        detail: `a service restart cannot bring ${d.node} back into a quorate cluster; see \`pvefix explain not-quorate-config\``,
        node: d.node,
      };
    case "read-only":
      return {
        message: "No reachable node is quorate: /etc/pve is read-only",
        detail: "restore quorum first (see `pvefix explain not-quorate-config`)",
        node: d.writer,
      };
    case "owner-unproven":
      return {
        message: "No reachable node is quorate",
        detail: `without a quorate view nothing proves ${d.owner} is out of the cluster, and /etc/pve is read-only`,
      };
    case "not-member":
      return {
        message: `${d.node} is not a quorate member of the cluster`,
        detail: "the config can only be moved to and started on a quorate node",
        node: d.node,
      };
  }
}

type SplitBrainRisk =
  | { case: "attested-answers"; answering: string[] }
  | { case: "quorate-elsewhere"; quorate: string[]; target: string }
  | { case: "blind"; blind: Array<{ node: string; problem: string | null }> }
  | { case: "could-form"; nodes: string[]; votes: number; quorum: number; target: string; unseen: string[] }
  | { case: "partition"; target: string; partners: number };

function splitBrainWords(d: SplitBrainRisk): RefusalWords {
  switch (d.case) {
    case "attested-answers":
      return {
        message: `${list(d.answering)} ${verb(d.answering, "answers", "answer")} over SSH, but --nodes-down says powered off`,
        detail:
          "--nodes-down is only for nodes you have verified are off; check which machine you powered off",
        ...onNode(d.answering[0]),
      };
    case "quorate-elsewhere":
      return {
        message: `${list(d.quorate)} ${verb(d.quorate, "is", "are")} quorate without ${d.target}`,
        detail: `A quorate partition exists: make the change there (\`pvefix plan not-quorate-config --node ${d.quorate[0]}\` with the same --file or --restore-backup) instead of forcing quorum on ${d.target}.`,
        ...onNode(d.quorate[0]),
      };
    case "blind":
      return {
        message: `Cannot tell whether ${list(d.blind.map((b) => b.node))} ${verb(d.blind, "is", "are")} quorate`,
        detail: d.blind.map((b) => `${b.node}: ${b.problem}`).join("\n"),
        ...onNode(d.blind[0]?.node),
      };
    case "could-form":
      return {
        message: `${list(d.nodes)} could form a quorate partition without ${d.target} (${d.votes} votes, quorum is ${d.quorum})`,
        detail:
          d.unseen.length > 0
            ? `pvefix cannot see ${list(d.unseen)}. If you have verified they are powered off, say so: --nodes-down ${d.unseen.join(",")}`
            : "These nodes see each other: restore the network or fix the cluster from their side.",
      };
    case "partition":
      return {
        message: `${d.target} is not alone in its corosync partition`,
        detail: `\`pvecm expected\` would lower expected votes on the ${d.partners} other member(s) of ${d.target}'s partition too, and a rollback could not raise them again there. Restore the network, or run this on a node that is cut off alone.`,
        node: d.target,
      };
  }
}

type QuorumAtRisk =
  | { case: "no-view"; node: string }
  | { case: "votes"; node: string; left: number; quorum: number; seen: string; guess: string };

export const clusterRefusals = {
  "not-quorate": entry<NotQuorate>(
    "the node (or every reachable node) has no quorum, so /etc/pve is read-only",
    notQuorateWords,
  ),
  "quorum-at-risk": entry<QuorumAtRisk>(
    "stopping a node's corosync could cost the cluster its quorum",
    (d) =>
      d.case === "no-view"
        ? {
            message: `No other node answers pvecm status: nothing shows the cluster keeps quorum without ${d.node}`,
            node: d.node,
          }
        : {
            message: `Stopping corosync on ${d.node} would leave the cluster ${d.left} of the ${d.quorum} votes it needs`,
            detail: `${d.seen}${d.guess}. Bring the missing nodes back first, then restart ${d.node}.`,
            node: d.node,
          },
  ),
  "split-brain-risk": entry<SplitBrainRisk>(
    "forcing quorum could let two parts of the cluster write /etc/pve at once",
    splitBrainWords,
  ),
  "local-mode-elsewhere": entry<{ node: string; pid: number }>(
    "pmxcfs already runs in local mode on a node",
    ({ node, pid }) => ({
      message: `pmxcfs runs in local mode on ${node} (pid ${pid})`,
      detail: `Never two local-mode nodes at once. Finish that work first: on ${node} run \`pkill -F /run/pve-cluster.pid && systemctl start pve-cluster\`.`,
      node,
    }),
  ),
};
