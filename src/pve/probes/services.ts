/**
 * PVE's own services on one node: each unit's state, whether /etc/pve (pmxcfs) answers, and whether
 * `pvecm status` answers. A hung pmxcfs blocks every access to /etc/pve and every PVE tool forever,
 * so both are tried under `timeout -s KILL` on the node, with a transport timeout on top.
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import { parseCorosyncConf } from "../parsers/corosync-conf.js";
import { corosyncDown, parsePvecmStatus } from "../parsers/pvecm-status.js";
import { UnitState, unitStates } from "../parsers/systemctl-is-active.js";
import { CorosyncConfig, corosyncConfigOf, runningConfigDrift } from "./corosync.js";
import { KILLED_BY_TIMEOUT, PVECM_SECONDS, pvecmStatus } from "./quorum.js";

/** The units the field report restarts, in its stop order (seed 001). */
export const RestartableUnit = z.enum(["pveproxy", "spiceproxy", "pvestatd", "pve-cluster", "corosync"]);
export type RestartableUnit = z.infer<typeof RestartableUnit>;
export const STOP_ORDER: readonly RestartableUnit[] = RestartableUnit.options;
export const START_ORDER: readonly RestartableUnit[] = [...RestartableUnit.options].reverse();

/** Probed but not part of the field report's restart (the HA units are handled by the fencing guard). */
export const OTHER_UNITS = ["pvedaemon", "pve-ha-lrm", "pve-ha-crm"] as const;
/** Every unit probed, in the order `systemctl is-active` is asked about them. */
export const PVE_UNITS = [...STOP_ORDER, ...OTHER_UNITS] as const;

export const ETC_PVE_SECONDS = 5;

export const UnitStates = z.record(z.string(), UnitState);
export type UnitStates = z.infer<typeof UnitStates>;

/** One state per unit from the printed lines: the exit code is 0 as soon as ANY unit is active. */
export async function unitStatesOf(
  ctx: ProbeContext,
  node: string,
  units: readonly string[] = PVE_UNITS,
): Promise<UnitStates> {
  const result = await ctx.run(node, sh`systemctl is-active ${units}`);
  return unitStates(units, result.stdout);
}

export const Liveness = z.enum(["responsive", "hung", "down"]);
export type Liveness = z.infer<typeof Liveness>;

export const EtcPve = z.object({
  state: Liveness,
  /** `755` quorate (writable), `555` not quorate; null unless it answered. */
  mode: z.string().nullable(),
  detail: z.string(),
});
export type EtcPve = z.infer<typeof EtcPve>;

export const etcPveCommand = sh`timeout -s KILL ${ETC_PVE_SECONDS} stat -c %a /etc/pve/local`;

/** PVE's own quorum test, `lstat('/etc/pve/local')`, doubles as the pmxcfs liveness test. */
export async function etcPveOf(ctx: ProbeContext, node: string): Promise<EtcPve> {
  const result = await ctx.run(node, etcPveCommand, { timeoutMs: (ETC_PVE_SECONDS + 10) * 1000 });
  if (result.exitCode === 0) {
    const mode = result.stdout.trim();
    return { state: "responsive", mode, detail: `/etc/pve answers (mode ${mode})` };
  }
  if (result.exitCode === KILLED_BY_TIMEOUT || result.timedOut) {
    return { state: "hung", mode: null, detail: `/etc/pve did not answer within ${ETC_PVE_SECONDS} s` };
  }
  const why = result.stderr.trim().split("\n")[0] || `exit ${result.exitCode}`;
  return { state: "down", mode: null, detail: `/etc/pve is not available (${why})` };
}

/** What votequorum says as one node sees it: enough to tell what a node's departure does. */
export const VoteView = z.object({
  node: z.string(),
  quorate: z.boolean(),
  /** Node id of the node that answered. */
  localId: z.number().int(),
  totalVotes: z.number().int(),
  quorum: z.number().int(),
  members: z.array(z.object({ nodeId: z.number().int(), votes: z.number().int() })),
});
export type VoteView = z.infer<typeof VoteView>;

export const Tools = z.object({
  state: z.enum(["responsive", "hung", "corosync-down", "failed"]),
  detail: z.string(),
  view: VoteView.nullable(),
});
export type Tools = z.infer<typeof Tools>;

/** `pvecm status` under a node-side timeout: hung tools, corosync down, or the quorum view. */
export async function toolsOf(ctx: ProbeContext, node: string): Promise<Tools> {
  const { result, hung } = await pvecmStatus(ctx, node);
  if (hung) {
    return { state: "hung", detail: `pvecm status did not answer within ${PVECM_SECONDS} s`, view: null };
  }
  if (result.exitCode === 1 && corosyncDown(result.stderr)) {
    return { state: "corosync-down", detail: "pvecm status: corosync does not answer", view: null };
  }
  try {
    const s = parsePvecmStatus(result.stdout);
    const view: VoteView = {
      node,
      quorate: s.quorum.quorate,
      localId: s.quorum.nodeId,
      totalVotes: s.votequorum.totalVotes,
      quorum: s.votequorum.quorum,
      members: s.members.map((m) => ({ nodeId: m.nodeId, votes: m.votes })),
    };
    const votes = `${view.totalVotes} votes, quorum ${view.quorum}`;
    return { state: "responsive", detail: `${view.quorate ? "quorate" : "not quorate"} (${votes})`, view };
  } catch {
    const why = result.stderr.trim().split("\n")[0] || `exit ${result.exitCode}`;
    return { state: "failed", detail: `pvecm status failed: ${why}`, view: null };
  }
}

export const NodeHealth = z.object({
  node: z.string(),
  units: UnitStates,
  etcPve: EtcPve,
  tools: Tools,
  /** The corosync config the node runs and the files it would load. */
  corosync: CorosyncConfig,
});
export type NodeHealth = z.infer<typeof NodeHealth>;

export async function nodeHealthOf(ctx: ProbeContext, node: string): Promise<NodeHealth> {
  const [units, etcPve, tools, corosync] = await Promise.all([
    unitStatesOf(ctx, node),
    etcPveOf(ctx, node),
    toolsOf(ctx, node),
    corosyncConfigOf(ctx, node),
  ]);
  return { node, units, etcPve, tools, corosync };
}

/** What is wrong on the node, in words; empty when the restartable stack is healthy. */
export function healthProblems(h: NodeHealth): string[] {
  return sickUnits(h).flatMap((s) => s.problems);
}

/**
 * The units whose restart would help, each with what is wrong with it, in stop order. A stopped
 * corosync whose /etc/corosync/corosync.conf it would refuse is left out: a restart cannot fix that.
 */
export function sickUnits(h: NodeHealth): Array<{ unit: RestartableUnit; problems: string[] }> {
  const problems = new Map<RestartableUnit, string[]>();
  const add = (unit: RestartableUnit, problem: string) =>
    problems.set(unit, [...(problems.get(unit) ?? []), problem]);
  for (const u of STOP_ORDER) if (h.units[u] !== "active") add(u, `${u} is ${h.units[u] ?? "unknown"}`);
  // pmxcfs answers /etc/pve; pvecm hanging while /etc/pve answers points at corosync.
  if (h.etcPve.state !== "responsive") add("pve-cluster", h.etcPve.detail);
  const corosyncSide = h.etcPve.state === "responsive" ? "corosync" : "pve-cluster";
  if (h.tools.state === "hung" || h.tools.state === "failed") add(corosyncSide, h.tools.detail);
  if (h.tools.state === "corosync-down" && h.units.corosync === "active") add("corosync", h.tools.detail);
  if (h.units.corosync === "active") {
    const drift = runningConfigDrift(h.corosync);
    if (drift) add("corosync", drift);
  } else if (h.corosync.local === null || h.corosync.local.problem !== null) {
    problems.delete("corosync");
  }
  return STOP_ORDER.filter((u) => problems.has(u)).map((unit) => ({ unit, problems: problems.get(unit)! }));
}

export const CorosyncVote = z.object({ name: z.string(), nodeId: z.number().int(), votes: z.number().int() });
export type CorosyncVote = z.infer<typeof CorosyncVote>;

/** Node ids and votes from the running corosync.conf (a local file: it never hangs with pmxcfs). */
export async function corosyncVotesOf(ctx: ProbeContext, node: string): Promise<CorosyncVote[] | null> {
  const text = await ctx.readFile(node, "/etc/corosync/corosync.conf");
  if (text === null) return null;
  try {
    return parseCorosyncConf(text)
      .nodes.filter((n) => n.nodeid !== null)
      .map((n) => ({ name: n.name, nodeId: n.nodeid!, votes: n.quorumVotes }));
  } catch {
    return null;
  }
}
