/**
 * Facts for a two-node cluster and its QDevice: corosync.conf's nodelist and quorum section, per
 * node the votequorum view (`pvecm status`: flags, expected votes, the Qdevice column), whether
 * corosync-qdevice is installed, a certificate store left over, the daemon's own view
 * (`corosync-qdevice-tool -s`), nodes being added, HA resources in motion, and — seen from the
 * node that runs the setup, the way `pvecm qdevice setup` reaches it — the qnetd host.
 * Read-only; a node that does not answer is a fact (`reachable: false`).
 */
import { z } from "zod";
import { ProbeError } from "../../engine/probe-context.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import { TransportError } from "../../transport/errors.js";
import { parseCorosyncConf } from "../parsers/corosync-conf.js";
import { parseQdeviceTool } from "../parsers/corosync-qdevice-tool.js";
import { ParseError } from "../parsers/format.js";
import { parseHaManagerStatus } from "../parsers/ha-manager-status.js";
import { readPvecmStatus } from "../parsers/pvecm-status.js";
import { parseSystemctlIsActive, UnitState } from "../parsers/systemctl-is-active.js";
import { PVE_COROSYNC_CONF, readPveCorosyncConf } from "./corosync.js";
import { PVE_TOOL } from "./pve-tools.js";
import { pvecmStatus } from "./quorum.js";

export const QDEVICE_BIN = "/usr/sbin/corosync-qdevice";
export const QDEVICE_CERT_STORE = "/etc/corosync/qdevice/net/nssdb";
const SSH_SECONDS = 15;

export const QuorumDevice = z.object({
  model: z.string().nullable(),
  host: z.string().nullable(),
  algorithm: z.string().nullable(),
  votes: z.number().int(),
});
export type QuorumDevice = z.infer<typeof QuorumDevice>;

export const QdeviceConf = z.object({
  configVersion: z.number().int().nullable(),
  nodes: z.array(
    z.object({ name: z.string(), nodeid: z.number().int().nullable(), votes: z.number().int() }),
  ),
  /** `two_node` / `wait_for_all` as written in the quorum section (PVE never writes them). */
  twoNode: z.string().nullable(),
  waitForAll: z.string().nullable(),
  expectedVotes: z.string().nullable(),
  device: QuorumDevice.nullable(),
  /** The file's bytes: a plan that edits the quorum section starts from them. */
  text: z.string(),
});
export type QdeviceConf = z.infer<typeof QdeviceConf>;

export const NodeVotes = z.object({
  quorate: z.boolean(),
  expectedVotes: z.number().int(),
  totalVotes: z.number().int(),
  quorum: z.number().int(),
  flags: z.array(z.string()),
  /** Node names (nodelist) of the current membership. */
  members: z.array(z.string()),
  /** This node's own Qdevice column (`A,V,NMW`, `A,NV,NMW`, `NR`); null without the column. */
  qdeviceColumn: z.string().nullable(),
  /** The node-id-0 row: whether the device's vote counts here. */
  qdeviceVotes: z.object({ votes: z.number().int(), casting: z.boolean() }).nullable(),
});
export type NodeVotes = z.infer<typeof NodeVotes>;

export const QdeviceNode = z.object({
  node: z.string(),
  reachable: z.boolean(),
  /** null when corosync does not run or pvecm gave no view (see `problem`). */
  votes: NodeVotes.nullable(),
  problem: z.string().nullable(),
  installed: z.boolean().nullable(),
  certStore: z.boolean().nullable(),
  /** `corosync-qdevice-tool -s`: null when no device is configured or the node does not answer. */
  daemon: z
    .object({
      running: z.boolean(),
      state: z.string().nullable(),
      qnetdHost: z.string().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
});
export type QdeviceNode = z.infer<typeof QdeviceNode>;

export const QnetdReach = z.object({
  addr: z.string(),
  /** The node the check ran on (the one `pvecm qdevice setup` runs on). */
  from: z.string(),
  ssh: z.boolean(),
  error: z.string().nullable(),
  service: UnitState.nullable(),
});
export type QnetdReach = z.infer<typeof QnetdReach>;

export const QdeviceFacts = z.object({
  conf: QdeviceConf,
  nodes: z.array(QdeviceNode),
  /** Nodes in corosync.conf that never joined: in no membership and without /etc/pve/nodes/<name>. */
  joining: z.array(z.string()),
  /** HA resources whose state is a move in progress (`ha-manager status`). */
  haMoving: z.array(z.string()),
  qnetd: QnetdReach.nullable(),
});
export type QdeviceFacts = z.infer<typeof QdeviceFacts>;

const HA_MOVING = new Set([
  "migrate",
  "relocate",
  "fence",
  "recovery",
  "request_stop",
  "request_start",
  "starting",
  "stopping",
]);

/** corosync.conf facts from its text (pure). */
export function qdeviceConfOf(text: string): QdeviceConf {
  const conf = parseCorosyncConf(text);
  const device = conf.summary?.quorumDevice ?? null;
  return {
    configVersion: conf.configVersion,
    nodes: conf.nodes.map((n) => ({ name: n.name, nodeid: n.nodeid, votes: n.quorumVotes })),
    twoNode: conf.quorum.two_node ?? null,
    waitForAll: conf.quorum.wait_for_all ?? null,
    expectedVotes: conf.quorum.expected_votes ?? null,
    device: device
      ? {
          model: device.model,
          host: device.host,
          algorithm: device.algorithm,
          votes: device.votes ?? (device.algorithm === "lms" ? Math.max(conf.nodes.length - 1, 1) : 1),
        }
      : null,
    text,
  };
}

/**
 * `pvecm status` read into the votes this runbook needs (pure); null when corosync is down.
 * pvecm prints members by address (`-i`): `nodelist` names them by node id.
 */
export function nodeVotesOf(text: string, nodelist: QdeviceConf["nodes"] = []): NodeVotes | null {
  const status = readPvecmStatus(text);
  if (status.quorum === null || status.votequorum === null) return null;
  const self = status.members.find((m) => m.local);
  return {
    quorate: status.quorum.quorate,
    expectedVotes: status.votequorum.expectedVotes,
    totalVotes: status.votequorum.totalVotes,
    quorum: status.votequorum.quorum,
    flags: status.votequorum.flags,
    members: status.members.map((m) => nodelist.find((n) => n.nodeid === m.nodeId)?.name ?? m.name),
    qdeviceColumn: self?.qdevice ?? null,
    qdeviceVotes: status.qdevice
      ? { votes: status.qdevice.configuredVotes, casting: status.qdevice.castsVote }
      : null,
  };
}

const exists = async (ctx: ProbeContext, node: string, flag: "-e" | "-d", path: string) =>
  (await ctx.run(node, sh`test ${flag} ${path}`)).exitCode === 0;

async function nodeFacts(ctx: ProbeContext, node: string, conf: QdeviceConf): Promise<QdeviceNode> {
  const device = conf.device !== null;
  const [{ result, hung }, installed, certStore, tool] = await Promise.all([
    pvecmStatus(ctx, node),
    exists(ctx, node, "-e", QDEVICE_BIN),
    exists(ctx, node, "-d", QDEVICE_CERT_STORE),
    device ? ctx.run(node, "corosync-qdevice-tool -s") : Promise.resolve(null),
  ]);
  let votes: NodeVotes | null = null;
  let problem: string | null = hung ? "`pvecm status` did not answer in time" : null;
  if (!hung) {
    try {
      votes = nodeVotesOf(`${result.stdout}${result.stderr}`, conf.nodes);
      if (votes === null) problem = result.stderr.trim().split("\n")[0] || "corosync does not run";
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      problem = `\`pvecm status\` printed no quorum information (${error.message})`;
    }
  }
  let daemon: QdeviceNode["daemon"] = null;
  if (tool) {
    try {
      const status = parseQdeviceTool(`${tool.stdout}${tool.stderr}`);
      daemon = {
        running: status.state === "running",
        state: status.connectionState,
        qnetdHost: status.qnetdHost,
        error: status.error,
      };
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      // The tool answers nothing readable while the daemon starts or stops: a state, not a failure.
      const said = `${tool.stderr}${tool.stdout}`.trim().split("\n")[0] || `exit ${tool.exitCode}, no output`;
      daemon = { running: false, state: null, qnetdHost: null, error: said };
    }
  }
  return { node, reachable: true, votes, problem, installed, certStore, daemon };
}

const unreachable = (node: string): QdeviceNode => ({
  node,
  reachable: false,
  votes: null,
  problem: null,
  installed: null,
  certStore: null,
  daemon: null,
});

/** From `from`, as `pvecm qdevice setup` will: root SSH without a password, then the qnetd unit. */
export async function qnetdReachOf(ctx: ProbeContext, from: string, addr: string): Promise<QnetdReach> {
  const command = sh`timeout -s KILL ${SSH_SECONDS} ssh -o BatchMode=yes -o ConnectTimeout=5 -l root ${addr} systemctl is-active corosync-qnetd`;
  const result = await ctx.run(from, command, { timeoutMs: (SSH_SECONDS + 10) * 1000 });
  if (result.exitCode === 255 || result.exitCode === 137 || result.timedOut) {
    const error = result.stderr.trim().split("\n").pop() || `ssh ended with exit ${result.exitCode}`;
    return { addr, from, ssh: false, error, service: null };
  }
  const [state] = (() => {
    try {
      return parseSystemctlIsActive(result.stdout);
    } catch {
      return ["unknown" as const];
    }
  })();
  return { addr, from, ssh: true, error: null, service: state ?? "unknown" };
}

async function haMovingOf(ctx: ProbeContext, candidates: readonly string[]): Promise<string[]> {
  for (const source of candidates) {
    const result = await ctx.run(source, "ha-manager status", { ...PVE_TOOL, timeoutMs: 15_000 });
    if (result.failed) continue;
    try {
      const status = parseHaManagerStatus(result.stdout);
      return status.services.filter((s) => HA_MOVING.has(s.state)).map((s) => `${s.sid} (${s.state})`);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
    }
  }
  return [];
}

export async function qdeviceFactsOf(
  ctx: ProbeContext,
  o: { qnetd?: string | undefined; node?: string | undefined },
): Promise<QdeviceFacts> {
  const facts = await factsIfClustered(ctx, o);
  if (typeof facts === "string") throw new ProbeError(facts, await ctx.anyNode());
  return facts;
}

/** For diagnose: null on a node without /etc/pve/corosync.conf (not a cluster: nothing to say). */
export async function clusterQdeviceFacts(ctx: ProbeContext): Promise<QdeviceFacts | null> {
  const facts = await factsIfClustered(ctx, {});
  return typeof facts === "string" ? null : facts;
}

async function factsIfClustered(
  ctx: ProbeContext,
  o: { qnetd?: string | undefined; node?: string | undefined },
): Promise<QdeviceFacts | string> {
  const source = await ctx.anyNode();
  const text = await readPveCorosyncConf(ctx, source);
  if (text === null) return `${PVE_COROSYNC_CONF} on ${source} does not exist: not a cluster`;
  if (typeof text !== "string")
    throw new ProbeError(`${PVE_COROSYNC_CONF} on ${source}: ${text.unreadable}`, source);
  let conf: QdeviceConf;
  try {
    conf = qdeviceConfOf(text);
  } catch (error) {
    // A corosync.conf that does not parse is not-quorate-config's finding, not this one.
    if (error instanceof ParseError)
      return `${PVE_COROSYNC_CONF} on ${source} does not parse: ${error.message}`;
    throw error;
  }
  const { up } = await ctx.reachable();
  const nodes = await Promise.all(
    ctx.nodes.map(async (node) => {
      if (!up.includes(node)) return unreachable(node);
      try {
        return await nodeFacts(ctx, node, conf);
      } catch (error) {
        if (error instanceof TransportError) return unreachable(node);
        throw error;
      }
    }),
  );
  const seen = new Set(nodes.flatMap((n) => n.votes?.members ?? []));
  const joining: string[] = [];
  for (const n of conf.nodes) {
    if (seen.has(n.name) || ctx.nodes.includes(n.name)) continue;
    if (!(await exists(ctx, source, "-d", `/etc/pve/nodes/${n.name}`))) joining.push(n.name);
  }
  const quorate = nodes.filter((n) => n.votes?.quorate).map((n) => n.node);
  const from = o.node ?? ctx.nodes[0] ?? source;
  return {
    conf,
    nodes,
    joining,
    haMoving: quorate.length > 0 ? await haMovingOf(ctx, quorate) : [],
    qnetd: o.qnetd && up.includes(from) ? await qnetdReachOf(ctx, from, o.qnetd) : null,
  };
}
