/**
 * Membership facts for repairs of corosync and pmxcfs: per node the quorum view, the corosync and
 * pve-cluster units, a manual local-mode pmxcfs, and the config_version of both corosync.conf copies;
 * on one node, which peers are disconnected on every knet link. Probes change nothing, and a node
 * that does not answer is a fact (`reachable: false`), not an error. The split-brain guard built on
 * these facts is in split-brain.ts, the checks of the steps in cluster-config-checks.ts.
 */
import { z } from "zod";
import { ProbeError } from "../../engine/probe-context.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import { TransportError } from "../../transport/errors.js";
import { parseCorosyncCfgtool, unreachableOnEveryLink } from "../parsers/corosync-cfgtool.js";
import { configVersionOf, parseCorosyncConf } from "../parsers/corosync-conf.js";
import { ParseError } from "../parsers/format.js";
import { UnitState, unitStates } from "../parsers/systemctl-is-active.js";
import { QuorumView, quorumOf } from "./quorum.js";

export const PVE_COROSYNC_CONF = "/etc/pve/corosync.conf";
export const LOCAL_COROSYNC_CONF = "/etc/corosync/corosync.conf";
export const PMXCFS_PIDFILE = "/run/pve-cluster.pid";

export const PmxcfsProc = z.object({
  pid: z.number().int().positive(),
  args: z.string(),
  /** Started with `-l`/`--local`: forced quorum, writes nobody else sees. */
  localMode: z.boolean(),
});
export type PmxcfsProc = z.infer<typeof PmxcfsProc>;

const LOCAL_FLAG = /(^|\s)(-[a-zA-Z]*l[a-zA-Z]*|--local)(\s|$)/;

/** `ps -C pmxcfs -o pid=,args=`: one `pid args` row per process; no rows (exit 1) when none runs. */
export function parsePmxcfsProcs(text: string): PmxcfsProc[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      const m = /^\s*(\d+)\s+(.*?)\s*$/.exec(line);
      if (!m) throw new ParseError("ps", `expected 'pid args', got '${line}'`, i + 1);
      const args = m[2]!;
      return { pid: Number(m[1]), args, localMode: LOCAL_FLAG.test(args.replace(/^\S+/, "")) };
    });
}

export const NodeClusterState = z.object({
  node: z.string(),
  /** Answered `true` over SSH. Everything below is null for a node that did not. */
  reachable: z.boolean(),
  /** null when `pvecm status` gave no usable answer (see `quorumProblem`). */
  quorum: QuorumView.nullable(),
  quorumProblem: z.string().nullable(),
  corosync: UnitState.nullable(),
  pveCluster: UnitState.nullable(),
  /** pid of a manual `pmxcfs -l` on this node. */
  localModePid: z.number().int().nullable(),
  /** config_version as pmxcfs reads it (first match), per copy; null when missing or unreadable. */
  corosyncConfVersion: z.number().int().nullable(),
  pveConfVersion: z.number().int().nullable(),
});
export type NodeClusterState = z.infer<typeof NodeClusterState>;

const UNITS = ["corosync", "pve-cluster"] as const;

function unreachable(node: string): NodeClusterState {
  return {
    node,
    reachable: false,
    quorum: null,
    quorumProblem: null,
    corosync: null,
    pveCluster: null,
    localModePid: null,
    corosyncConfVersion: null,
    pveConfVersion: null,
  };
}

/** A read whose output must parse: ProbeError (naming the command) when it does not. */
export async function parsed<T>(ctx: ProbeContext, node: string, command: string, parse: (s: string) => T) {
  const result = await ctx.run(node, command);
  try {
    return parse(result.stdout);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new ProbeError(`unexpected output of \`${command}\` on ${node}: ${error.message}`, node, result);
  }
}

async function quorumViewOf(
  ctx: ProbeContext,
  node: string,
  corosync: UnitState,
): Promise<Pick<NodeClusterState, "quorum" | "quorumProblem">> {
  try {
    const view = await quorumOf(ctx, node);
    // A hung pmxcfs makes pvecm time out while corosync runs: that says nothing about quorum.
    if (!view.corosyncRunning && corosync === "active")
      return { quorum: null, quorumProblem: "`pvecm status` gave no answer although corosync is active" };
    return { quorum: view, quorumProblem: null };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return {
      quorum: null,
      quorumProblem: `\`pvecm status\` printed no quorum information (${error.message})`,
    };
  }
}

/** One node's membership facts. Throws TransportError when the node stops answering. */
export async function nodeClusterState(ctx: ProbeContext, node: string): Promise<NodeClusterState> {
  const [units, procs, local, pve] = await Promise.all([
    parsed(ctx, node, sh`systemctl is-active ${UNITS}`, (s) => unitStates(UNITS, s)),
    parsed(ctx, node, "ps -C pmxcfs -o pid=,args=", parsePmxcfsProcs),
    ctx.readFile(node, LOCAL_COROSYNC_CONF),
    ctx.readFile(node, PVE_COROSYNC_CONF),
  ]);
  const corosync = units.corosync ?? "unknown";
  return {
    node,
    reachable: true,
    ...(await quorumViewOf(ctx, node, corosync)),
    corosync,
    pveCluster: units["pve-cluster"] ?? "unknown",
    localModePid: procs.find((p) => p.localMode)?.pid ?? null,
    corosyncConfVersion: local === null ? null : configVersionOf(local),
    pveConfVersion: pve === null ? null : configVersionOf(pve),
  };
}

/** Every inventory node, in inventory order; a node that fails mid-probe counts as unreachable. */
export async function clusterStates(ctx: ProbeContext): Promise<NodeClusterState[]> {
  const { up } = await ctx.reachable();
  return Promise.all(
    ctx.nodes.map(async (node) => {
      if (!up.includes(node)) return unreachable(node);
      try {
        return await nodeClusterState(ctx, node);
      } catch (error) {
        if (error instanceof TransportError) return unreachable(node);
        throw error;
      }
    }),
  );
}

export const ConfNode = z.object({ name: z.string(), nodeid: z.number().int(), votes: z.number().int() });
export type ConfNode = z.infer<typeof ConfNode>;

/** The nodelist of a corosync.conf (names, ids, votes); null when the text does not parse. */
export function nodelistOf(text: string | null): ConfNode[] | null {
  if (text === null) return null;
  try {
    return parseCorosyncConf(text).nodes.flatMap((n) =>
      n.nodeid === null ? [] : [{ name: n.name, nodeid: n.nodeid, votes: n.quorumVotes }],
    );
  } catch (error) {
    if (error instanceof ParseError) return null;
    throw error;
  }
}

/**
 * Node ids `node` sees disconnected on every knet link (`corosync-cfgtool -s`); null when corosync
 * does not run there, so there is no positive evidence either way.
 */
export async function disconnectedPeers(ctx: ProbeContext, node: string): Promise<number[] | null> {
  const result = await ctx.run(node, "corosync-cfgtool -s");
  if (result.exitCode !== 0 && /Could not initiali[sz]e/.test(result.stderr)) return null;
  try {
    return unreachableOnEveryLink(parseCorosyncCfgtool(result.stdout));
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new ProbeError(
      `unexpected output of \`corosync-cfgtool -s\` on ${node}: ${error.message}`,
      node,
      result,
    );
  }
}

/** Hex sha256 of a file on a node (`sha256sum`), null when it does not exist. */
export async function fileSha256(ctx: ProbeContext, node: string, path: string): Promise<string | null> {
  const result = await ctx.run(node, sh`sha256sum ${path}`);
  if (/No such file or directory/.test(result.stderr)) return null;
  const hash = /^\\?([0-9a-f]{64})\s/.exec(result.stdout)?.[1];
  if (result.exitCode !== 0 || !hash)
    throw new ProbeError(`could not hash ${path} on ${node}: ${result.stderr.trim()}`, node, result);
  return hash;
}
