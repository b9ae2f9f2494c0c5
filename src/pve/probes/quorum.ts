/**
 * Quorum as one node sees it, through `pvecm status` under a node-side timeout (exit 0 quorate,
 * 2 not quorate, 1 no corosync, 137 hung).
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { corosyncDown, parsePvecmStatus } from "../parsers/pvecm-status.js";
import { PVE_TOOL } from "./pve-tools.js";
import { KILLED_BY_TIMEOUT, PVECM_SECONDS, pvecmCommand } from "./services.js";

export const QuorumView = z.object({
  node: z.string(),
  corosyncRunning: z.boolean(),
  quorate: z.boolean(),
  expectedVotes: z.number().nullable(),
  totalVotes: z.number().nullable(),
  quorum: z.number().nullable(),
  /** Node ids in this node's current membership view. */
  members: z.array(z.number()),
});
export type QuorumView = z.infer<typeof QuorumView>;

export async function quorumOf(ctx: ProbeContext, node: string): Promise<QuorumView> {
  // The same command as the services probe's: one sweep asks each node once.
  const result = await ctx.run(node, pvecmCommand, { ...PVE_TOOL, timeoutMs: (PVECM_SECONDS + 10) * 1000 });
  // No corosync to ask (or a pvecm that hangs): this node has no quorum view at all.
  const hung = result.timedOut || result.exitCode === KILLED_BY_TIMEOUT;
  if (hung || (result.exitCode === 1 && corosyncDown(result.stderr))) {
    return {
      node,
      corosyncRunning: false,
      quorate: false,
      expectedVotes: null,
      totalVotes: null,
      quorum: null,
      members: [],
    };
  }
  const status = parsePvecmStatus(result.stdout);
  return {
    node,
    corosyncRunning: true,
    quorate: status.quorum.quorate,
    expectedVotes: status.votequorum.expectedVotes,
    totalVotes: status.votequorum.totalVotes,
    quorum: status.votequorum.quorum,
    members: status.members.map((m) => m.nodeId),
  };
}
