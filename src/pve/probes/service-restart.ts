/**
 * What restart-pve-services decides on: the health of each node to restart, every other node's view
 * of the quorum, the votes of the running corosync.conf and HA's view of the targets.
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { HaNodeView, haViewsOf } from "./ha-status.js";
import {
  CorosyncVote,
  corosyncVotesOf,
  NodeHealth,
  nodeHealthOf,
  Tools,
  toolsOf,
  type VoteView,
} from "./services.js";

export const RestartPeer = z.object({ node: z.string(), reachable: z.boolean(), tools: Tools.nullable() });
export type RestartPeer = z.infer<typeof RestartPeer>;

export const RestartFacts = z.object({
  /** Requested nodes that are not in the inventory. */
  unknown: z.array(z.string()),
  targets: z.array(NodeHealth),
  /** Every other inventory node and its view of the quorum. */
  peers: z.array(RestartPeer),
  votes: z.array(CorosyncVote).nullable(),
  ha: z.array(HaNodeView),
});
export type RestartFacts = z.infer<typeof RestartFacts>;

/** Read-only; a requested node outside the inventory is reported without touching the cluster. */
export async function restartFacts(ctx: ProbeContext, names: readonly string[]): Promise<RestartFacts> {
  const unknown = names.filter((n) => !ctx.nodes.includes(n));
  if (unknown.length > 0) return { unknown, targets: [], peers: [], votes: null, ha: [] };
  const { down } = await ctx.reachable();
  const [targets, peers] = await Promise.all([
    Promise.all(names.map((n) => nodeHealthOf(ctx, n))),
    Promise.all(
      ctx.nodes
        .filter((n) => !names.includes(n))
        .map(async (node) => {
          if (down.includes(node)) return { node, reachable: false, tools: null };
          return toolsOf(ctx, node).then(
            (tools) => ({ node, reachable: true, tools }),
            () => ({ node, reachable: false, tools: null }),
          );
        }),
    ),
  ]);
  const up = peers.filter((p) => p.reachable).map((p) => p.node);
  const quorate = peers.filter((p) => p.tools?.view?.quorate).map((p) => p.node);
  const healthy = targets.filter((t) => t.etcPve.state === "responsive").map((t) => t.node);
  let votes: RestartFacts["votes"] = null;
  for (const node of [...quorate, ...up, ...names]) {
    votes = await corosyncVotesOf(ctx, node);
    if (votes) break;
  }
  const ha = await haViewsOf(ctx, names, [...new Set([...quorate, ...up, ...healthy])]);
  return { unknown, targets, peers, votes, ha };
}

/** The quorum views of every node but `node`, targets included. Pure. */
export function otherViews(facts: RestartFacts, node: string): VoteView[] {
  return [
    ...facts.peers.map((p) => p.tools),
    ...facts.targets.filter((t) => t.node !== node).map((t) => t.tools),
  ]
    .map((tools) => tools?.view)
    .filter((v): v is VoteView => v !== null && v !== undefined);
}
