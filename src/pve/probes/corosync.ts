/**
 * Membership facts for repairs of corosync and pmxcfs: per node the quorum view, the corosync and
 * pve-cluster units, a manual local-mode pmxcfs, and the config_version of both corosync.conf copies;
 * on one node, which peers are disconnected on every knet link. Probes change nothing, and a node
 * that does not answer is a fact (`reachable: false`), not an error.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { sha256Hex } from "../../engine/fingerprint.js";
import { type JournalEntry, readJournal } from "../../engine/journal.js";
import type { Refusal } from "../../engine/model.js";
import { ProbeError } from "../../engine/probe-context.js";
import type { CheckFn, ProbeContext } from "../../engine/runbook.js";
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

async function parsed<T>(ctx: ProbeContext, node: string, command: string, parse: (s: string) => T) {
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

export const NewContent = z.object({
  /** Where the content came from, in words for the plan. */
  source: z.string(),
  text: z.string().nullable(),
  sha256: z.string().nullable(),
  /** Why there is no content; null when there is. */
  problem: z.string().nullable(),
});
export type NewContent = z.infer<typeof NewContent>;

/**
 * The content to write: a local file (read here, on the operator's machine) or the bytes an earlier
 * run backed up for `path` before its first step that changed it. Reads only.
 */
export function readNewContent(o: {
  file?: string | undefined;
  restoreBackup?: string | undefined;
  path: string;
  stateDir: string | null;
}): NewContent {
  const none = (source: string, problem: string) => ({ source, text: null, sha256: null, problem });
  const some = (source: string, text: string) => ({ source, text, sha256: sha256Hex(text), problem: null });
  if (o.file !== undefined) {
    try {
      return some(`file ${o.file}`, readFileSync(o.file, "utf8"));
    } catch (error) {
      return none(`file ${o.file}`, `cannot read ${o.file}: ${(error as Error).message}`);
    }
  }
  const runId = o.restoreBackup ?? "";
  const source = `the backup of ${o.path} in run ${runId}`;
  if (o.stateDir === null) return none(source, "no pvefix state directory to read runs from");
  let entries: JournalEntry[];
  try {
    entries = readJournal(o.stateDir, runId);
  } catch (error) {
    return none(source, (error as Error).message);
  }
  const decision = entries.find((e) => e.type === "decision" && e.plan);
  const order = decision?.type === "decision" ? (decision.plan?.steps.map((s) => s.id) ?? []) : [];
  const rank = (stepId: string) => (order.includes(stepId) ? order.indexOf(stepId) : order.length);
  const backups = entries.flatMap((e) => (e.type === "backup" && e.path === o.path ? [e] : []));
  const first = backups.sort((a, b) => rank(a.stepId) - rank(b.stepId))[0];
  if (!first) return none(source, `run ${runId} backed up no ${o.path}`);
  const where = `${source} (step ${first.stepId} on ${first.node})`;
  if (!first.existed) return none(where, `${o.path} did not exist before run ${runId}`);
  if (first.contentBase64 === null)
    return none(where, `run ${runId} kept no copy of ${o.path} in its journal`);
  const bytes = Buffer.from(first.contentBase64, "base64");
  if (sha256Hex(bytes) !== first.sha256)
    return none(where, `the journal copy of ${o.path} does not match its recorded sha256 ${first.sha256}`);
  return some(where, bytes.toString("utf8"));
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
      `A quorate partition exists: make the change there (\`pvefix plan not-quorate-config --node ${quorate[0]} ...\`) instead of forcing quorum on ${o.target}.`,
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
    `the nodes outside ${o.target}'s membership could gather at most ${side.votes} of the ${side.quorum} votes quorum needs`,
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

const pass = (detail: string) => ({ ok: true, detail });
const failed = (detail: string) => ({ ok: false, detail });

/** Postconditions and step checks of the cluster-config steps (src/pve/steps/cluster-config.ts). */
export const clusterConfigChecks: Record<string, CheckFn> = {
  async "node-quorate"(ctx, check) {
    const view = await quorumOf(ctx, check.node);
    return view.quorate ? pass(`${check.node} is quorate`) : failed(`${check.node} is not quorate`);
  },
  async "pve-writable"(ctx, check) {
    // PVE's own test (check_cfs_quorum): the owner-write bit of /etc/pve/local.
    const result = await ctx.run(check.node, "stat -c %a /etc/pve/local");
    const mode = Number.parseInt(result.stdout.trim(), 8);
    return result.exitCode === 0 && (mode & 0o200) !== 0
      ? pass(`/etc/pve/local is ${result.stdout.trim()}`)
      : failed(
          `/etc/pve is not writable (${(result.stdout || result.stderr).trim() || `exit ${result.exitCode}`})`,
        );
  },
  async "local-mode-off"(ctx, check) {
    const procs = await parsed(ctx, check.node, "ps -C pmxcfs -o pid=,args=", parsePmxcfsProcs);
    const local = procs.find((p) => p.localMode);
    return local ? failed(`pmxcfs -l still runs (pid ${local.pid})`) : pass("no local-mode pmxcfs");
  },
  async "unit-active"(ctx, check) {
    const unit = z.string().parse(check.args.unit);
    const state = (
      await parsed(ctx, check.node, sh`systemctl is-active ${unit}`, (s) => unitStates([unit], s))
    )[unit];
    return state === "active" ? pass(`${unit} is active`) : failed(`${unit} is ${state}`);
  },
  async "file-sha256"(ctx, check) {
    const { path, sha256 } = z.object({ path: z.string(), sha256: z.string() }).parse(check.args);
    const now = await fileSha256(ctx, check.node, path);
    return now === sha256
      ? pass(`${path} has sha256 ${sha256}`)
      : failed(`${path} has sha256 ${now ?? "(missing)"}`);
  },
  async "corosync-conf-version"(ctx, check) {
    const version = z.number().int().parse(check.args.version);
    const text = await ctx.readFile(check.node, LOCAL_COROSYNC_CONF);
    const now = text === null ? null : configVersionOf(text);
    return now === version
      ? pass(`config_version ${version}`)
      : failed(`${LOCAL_COROSYNC_CONF} has config_version ${now ?? "(none)"}`);
  },
};
