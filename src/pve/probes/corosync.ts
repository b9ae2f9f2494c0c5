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
import { cmapDown, parseCorosyncCmapctl, RunningTotem, runningTotem } from "../parsers/corosync-cmapctl.js";
import { configVersionOf, parseCorosyncConf, verifyCorosyncConf } from "../parsers/corosync-conf.js";
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
    readPveCorosyncConf(ctx, node),
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
    pveConfVersion: typeof pve === "string" ? configVersionOf(pve) : null,
  };
}

export const PVE_READ_SECONDS = 5;

/**
 * /etc/pve/corosync.conf under a node-side timeout: a hung pmxcfs blocks every read there, and that is
 * the services probe's finding, not a reason for the membership facts to fail. `null` when missing.
 */
export async function readPveCorosyncConf(
  ctx: ProbeContext,
  node: string,
): Promise<string | null | { unreadable: string }> {
  const result = await ctx.run(node, sh`timeout -s KILL ${PVE_READ_SECONDS} cat ${PVE_COROSYNC_CONF}`, {
    timeoutMs: (PVE_READ_SECONDS + 10) * 1000,
  });
  if (result.exitCode === 0) return result.stdout;
  if (/No such file or directory/.test(result.stderr)) return null;
  if (result.exitCode === 137 || result.timedOut)
    return { unreadable: `reading it did not finish within ${PVE_READ_SECONDS} s` };
  return { unreadable: result.stderr.trim().split("\n")[0] || `exit ${result.exitCode}` };
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

/** One copy of corosync.conf as corosync would see it. */
export const ConfFileFacts = z.object({
  version: z.number().int().nullable(),
  /** totem.token; null = not set (corosync's default). */
  token: z.number().int().nullable(),
  /** Why corosync (or PVE's checks) would reject it for this node; null when usable. */
  problem: z.string().nullable(),
});
export type ConfFileFacts = z.infer<typeof ConfFileFacts>;

/** The version, token and usability of a corosync.conf text for `node`. Pure. */
export function confFileFacts(text: string, node: string): ConfFileFacts {
  const version = configVersionOf(text);
  try {
    const conf = parseCorosyncConf(text);
    const token = conf.tree.sections.totem?.[0]?.props.token;
    const errors = verifyCorosyncConf(conf);
    if (!conf.nodes.some((n) => n.name === node)) errors.push(`its nodelist has no node ${node}`);
    const parsedToken = token !== undefined && /^\d+$/.test(token) ? Number(token) : null;
    return { version, token: parsedToken, problem: errors.length > 0 ? errors.join("; ") : null };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return { version, token: null, problem: error.message };
  }
}

export const CorosyncConfig = z.object({
  node: z.string(),
  /** /etc/corosync/corosync.conf, which corosync reads at start and on `corosync-cfgtool -R`; null when missing. */
  local: ConfFileFacts.nullable(),
  /** /etc/pve/corosync.conf as this node sees it; null when missing or unreadable (pmxcfs down or hung). */
  pve: ConfFileFacts.nullable(),
  /** What the running corosync loaded (`corosync-cmapctl`); null when corosync does not answer. */
  running: RunningTotem.nullable(),
});
export type CorosyncConfig = z.infer<typeof CorosyncConfig>;

/** `totem.*` and the token in use, as the running corosync holds them. */
export const cmapctlCommand = "corosync-cmapctl totem. runtime.config.totem.token";

/** The running corosync configuration of `node` and both files it should match. Read-only. */
export async function corosyncConfigOf(ctx: ProbeContext, node: string): Promise<CorosyncConfig> {
  const [local, pve, cmap] = await Promise.all([
    ctx.readFile(node, LOCAL_COROSYNC_CONF),
    readPveCorosyncConf(ctx, node),
    ctx.run(node, cmapctlCommand),
  ]);
  let running: RunningTotem | null = null;
  if (cmap.exitCode === 0) {
    try {
      running = runningTotem(parseCorosyncCmapctl(cmap.stdout));
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      throw new ProbeError(
        `unexpected output of \`${cmapctlCommand}\` on ${node}: ${error.message}`,
        node,
        cmap,
      );
    }
  } else if (!cmapDown(cmap.stderr) && cmap.exitCode !== 127) {
    throw new ProbeError(
      `\`${cmapctlCommand}\` failed on ${node}: ${cmap.stderr.trim() || `exit ${cmap.exitCode}`}`,
      node,
      cmap,
    );
  }
  return {
    node,
    local: local === null ? null : confFileFacts(local, node),
    pve: typeof pve === "string" ? confFileFacts(pve, node) : null,
    running,
  };
}

const tokenWords = (token: number | null) => (token === null ? "default token" : `token ${token} ms`);

/**
 * How the running corosync differs from the /etc/corosync/corosync.conf it would load now, in words;
 * null when it runs what the file says (or either side is unknown). Pure.
 */
export function runningConfigDrift(c: CorosyncConfig): string | null {
  const { running, local } = c;
  if (running === null || local === null) return null;
  if (running.configVersion === local.version && running.token === local.token) return null;
  const pveAgrees = c.pve !== null && c.pve.version === local.version && c.pve.token === local.token;
  const files = pveAgrees
    ? `${LOCAL_COROSYNC_CONF} and ${PVE_COROSYNC_CONF} have`
    : `${LOCAL_COROSYNC_CONF} has`;
  return `corosync runs config_version ${running.configVersion ?? "(none)"} (${tokenWords(running.token)}) but ${files} version ${local.version ?? "(none)"} (${tokenWords(local.token)}): it has not loaded the written config`;
}
