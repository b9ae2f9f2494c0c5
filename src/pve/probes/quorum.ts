/**
 * Quorum as one node sees it, through `pvecm status` under a node-side timeout (exit 0 quorate,
 * 2 not quorate, 1 no corosync, 137 hung).
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import type { CommandResult } from "../../transport/types.js";
import { corosyncDown, parsePvecmStatus } from "../parsers/pvecm-status.js";
import { PVE_TOOL } from "./pve-tools.js";

/** `timeout -s KILL` ends with 128 + SIGKILL when the command did not finish in time. */
export const KILLED_BY_TIMEOUT = 137;
export const PVECM_SECONDS = 10;
/** Under a node-side timeout: a hung pmxcfs or corosync blocks PVE's tools forever. */
export const pvecmCommand = sh`timeout -s KILL ${PVECM_SECONDS} pvecm status`;

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

/**
 * `pvecm status` on a node under its node-side timeout, and whether it hung. The quorum and the
 * services probes both ask through here, so one sweep asks each node once (memoized read).
 */
export async function pvecmStatus(
  ctx: ProbeContext,
  node: string,
): Promise<{ result: CommandResult; hung: boolean }> {
  const result = await ctx.run(node, pvecmCommand, { ...PVE_TOOL, timeoutMs: (PVECM_SECONDS + 10) * 1000 });
  return { result, hung: result.timedOut || result.exitCode === KILLED_BY_TIMEOUT };
}

export async function quorumOf(ctx: ProbeContext, node: string): Promise<QuorumView> {
  const { result, hung } = await pvecmStatus(ctx, node);
  // No corosync to ask (or a pvecm that hangs): this node has no quorum view at all.
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
