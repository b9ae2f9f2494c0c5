/**
 * What diagnose reports about quorum and corosync.conf. Only a cluster with no quorate partition at all
 * needs not-quorate-config. A node cut off from a quorate majority is a network problem (forcing quorum
 * there would split the brain), a node whose corosync is merely stopped needs a start
 * (restart-pve-services reports it), a corosync that cannot start needs a fixed corosync.conf.
 */
import type { Severity } from "../../engine/model.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { type FindingInput, finding } from "../../kit/finding.js";
import {
  clusterStates,
  corosyncConfigOf,
  disconnectedPeers,
  LOCAL_COROSYNC_CONF,
  type NodeClusterState,
  nodelistOf,
} from "./corosync.js";

/** The flag the operator fills in: pvefix cannot know the fixed file. */
const NEW_FILE = ["--file PATH-TO-NEW-CONF"];

export async function quorumFindings(ctx: ProbeContext): Promise<FindingInput[]> {
  const findings: FindingInput[] = [];
  const states = await clusterStates(ctx);
  const quorate = states.filter((s) => s.quorum?.quorate);
  const found = (node: string, severity: Severity, summary: string, more: Partial<FindingInput> = {}) =>
    findings.push(
      finding({ severity, node, params: { node }, summary, verb: "plan", placeholders: NEW_FILE, ...more }),
    );
  for (const s of states) {
    if (!s.reachable) continue;
    if (s.corosync !== "active") {
      const config = await corosyncConfigOf(ctx, s.node);
      const problem =
        config.local === null
          ? "is missing"
          : config.local.problem === null
            ? null
            : `is not usable (${config.local.problem})`;
      // A usable config needs only a start: the restart-pve-services finding.
      if (problem !== null) {
        const summary = `corosync is ${s.corosync} on ${s.node} and cannot start: ${LOCAL_COROSYNC_CONF} ${problem}`;
        found(s.node, "critical", summary, { flags: { node: quorate[0]?.node ?? s.node } });
      }
    } else if (s.quorum !== null && !s.quorum.quorate) {
      if (quorate.length > 0)
        found(s.node, "critical", await cutOff(ctx, s, quorate), {
          manual: `corosync-cfgtool -s  # on ${s.node}: every peer must show connected`,
        });
      else {
        const why = `${s.quorum.totalVotes ?? 0} of ${s.quorum.expectedVotes ?? "?"} votes`;
        const silent = states.filter((o) => !o.reachable).map((o) => o.node);
        // The plan refuses while silent nodes could form a quorate partition: only the operator
        // knows they are really down, so the command asks for them instead of naming them.
        const downHint =
          silent.length > 0
            ? silent.length === 1
              ? `; ${silent[0]} does not answer: if it is really down (powered off), name it with --nodes-down`
              : `; ${silent.join(", ")} do not answer: if they are really down (powered off), name them with --nodes-down`
            : "";
        found(
          s.node,
          "critical",
          `${s.node} is not quorate (${why}) and no node is: /etc/pve is read-only there${downHint}`,
          {
            ...(silent.length > 0
              ? { placeholders: [...NEW_FILE, "--nodes-down NODES-KNOWN-TO-BE-DOWN"] }
              : {}),
          },
        );
      }
    }
    if (
      s.corosyncConfVersion !== null &&
      s.pveConfVersion !== null &&
      s.corosyncConfVersion !== s.pveConfVersion
    ) {
      found(
        s.node,
        "warning",
        `${s.node} has ${LOCAL_COROSYNC_CONF} version ${s.corosyncConfVersion} but /etc/pve/corosync.conf has version ${s.pveConfVersion}`,
      );
    }
  }
  return findings;
}

/** The words for a node outside a quorate partition: who is quorate, and what its links say. */
async function cutOff(
  ctx: ProbeContext,
  s: NodeClusterState,
  quorate: readonly NodeClusterState[],
): Promise<string> {
  const majority = quorate.map((q) => q.node);
  const running = (await ctx.readFile(s.node, LOCAL_COROSYNC_CONF)) ?? null;
  const nodelist = nodelistOf(running) ?? [];
  const nameOf = (id: number) => nodelist.find((n) => n.nodeid === id)?.name ?? `nodeid ${id}`;
  const peers = (await disconnectedPeers(ctx, s.node))?.map(nameOf) ?? null;
  const evidence =
    peers === null
      ? `\`corosync-cfgtool -s\` gives no link status on ${s.node}`
      : peers.length > 0
        ? `\`corosync-cfgtool -s\` on ${s.node} shows ${peers.join(", ")} disconnected on every link`
        : `\`corosync-cfgtool -s\` on ${s.node} shows every link connected, yet it is not in their membership`;
  return `${s.node} is cut off from the quorate partition (${majority.join(", ")}): ${evidence}. Repair its corosync network; forcing quorum on ${s.node} would split the brain`;
}
