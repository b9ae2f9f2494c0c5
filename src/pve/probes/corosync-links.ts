/**
 * Everything the corosync-links diagnosis reads, per node: the knet link state (`corosync-cfgtool
 * -s`/`-n`), the interfaces under each ringX_addr (`ip -s -d -j link`, `ip -j addr`), both copies of
 * corosync.conf, knet statistics, corosync's journal, the firewall, the clock, softnet backlog drops,
 * the QDevice, and a bounded ping sweep (a DF ping at the link's MTU, a small one when that fails)
 * to every peer on every link. Read-only; every command has a deadline. One odd output becomes a
 * `problems` line of its node instead of ending the sweep; a node that does not answer is a fact.
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import type { CommandResult } from "../../transport/types.js";
import { ClockSync } from "../parsers/clock-sync.js";
import { CfgtoolReading, readCorosyncCfgtool } from "../parsers/corosync-cfgtool.js";
import { CfgtoolNodes, parseCfgtoolNodes } from "../parsers/corosync-cfgtool-nodes.js";
import { cmapDown, parseCorosyncCmapctl } from "../parsers/corosync-cmapctl.js";
import { parseCorosyncConf } from "../parsers/corosync-conf.js";
import { corosyncJournalEvents, journalEmpty } from "../parsers/corosync-journal.js";
import { parseQdeviceTool, QdeviceToolStatus } from "../parsers/corosync-qdevice-tool.js";
import { DropRule, iptablesCorosyncDrops, nftCorosyncDrops } from "../parsers/firewall-rules.js";
import { parseIpAddr } from "../parsers/ip-link.js";
import { LinkDetail, lowerChain, parseIpLinkDetails, physicalEnds } from "../parsers/ip-link-stats.js";
import { KnetLinkStats, knetLinkStats } from "../parsers/knet-stats.js";
import { PingResult, parsePing } from "../parsers/ping.js";
import { parseSoftnetStat, SoftnetTotals } from "../parsers/softnet-stat.js";
import { LOCAL_COROSYNC_CONF, PVE_COROSYNC_CONF, readPveCorosyncConf } from "./corosync.js";
import { clockFacts } from "./corosync-links-clock.js";
import { isNodeUnreachable } from "./unreachable.js";

// What the findings need from the parsers (findings sit above the probes, never beside the parsers).
export { type DropRule, lowerChain, physicalEnds };

/** A corosync.conf copy as this diagnosis needs it. */
export const LinkConf = z.object({
  version: z.number().int().nullable(),
  /** sha-free identity: the text itself is small; equal texts mean equal configs. */
  text: z.string(),
  nodes: z.array(
    z.object({
      name: z.string(),
      nodeid: z.number().int().nullable(),
      rings: z.record(z.string(), z.string()),
    }),
  ),
  hasQdevice: z.boolean(),
  twoNode: z.boolean(),
  /** logging.logfile when logging.to_logfile is yes. */
  logfile: z.string().nullable(),
});
export type LinkConf = z.infer<typeof LinkConf>;

export const LinkEvent = z.object({
  kind: z.string(),
  at: z.number().nullable(),
  host: z.number().int().nullable(),
  link: z.number().int().nullable(),
  message: z.string(),
});
export type LinkEvent = z.infer<typeof LinkEvent>;

export const PeerPing = z.object({
  link: z.number().int(),
  peer: z.string(),
  from: z.string(),
  to: z.string(),
  /** ICMP payload of the DF ping: the local interface's MTU minus the IP and ICMP headers. */
  size: z.number().int(),
  df: PingResult.nullable(),
  /** A 56-byte ping, sent only when the DF ping lost everything. */
  small: PingResult.nullable(),
  /** Why there is no result (ping missing, bad output). */
  error: z.string().nullable(),
});
export type PeerPing = z.infer<typeof PeerPing>;

export const NodeLinkFacts = z.object({
  node: z.string(),
  reachable: z.boolean(),
  cfgtool: CfgtoolReading.nullable(),
  cfgNodes: CfgtoolNodes.nullable(),
  localConf: LinkConf.nullable(),
  pveConf: LinkConf.nullable(),
  interfaces: z.array(LinkDetail).nullable(),
  /** Interface name → its addresses (`a.b.c.d/len`). */
  addrs: z.record(z.string(), z.array(z.string())).nullable(),
  knet: z.array(KnetLinkStats).nullable(),
  events: z.array(LinkEvent),
  journal: z.enum(["journal", "logfile", "none"]),
  dropRules: z.array(DropRule),
  pveFirewall: z.string().nullable(),
  clock: ClockSync.nullable(),
  softnet: SoftnetTotals.nullable(),
  qdevice: QdeviceToolStatus.nullable(),
  pings: z.array(PeerPing),
  problems: z.array(z.string()),
});
export type NodeLinkFacts = z.infer<typeof NodeLinkFacts>;

export const LinksFacts = z.object({ nodes: z.array(NodeLinkFacts) });
export type LinksFacts = z.infer<typeof LinksFacts>;

const KEPT_EVENTS = new Set([
  "link-down",
  "link-up",
  "no-active-links",
  "token-warning",
  "token-lost",
  "retransmit",
  "sync",
  "mtu-change",
]);
const JOURNAL_LINES = 300;
const PING_SECONDS = 5;
const PINGS_AT_ONCE = 4;

function linkConfOf(text: string | null): LinkConf | null {
  if (text === null) return null;
  try {
    const conf = parseCorosyncConf(text);
    const logging = conf.tree.sections.logging?.[0]?.props ?? {};
    return {
      version: conf.configVersion,
      text,
      nodes: conf.nodes.map((n) => ({
        name: n.name,
        nodeid: n.nodeid,
        rings: Object.fromEntries(Object.entries(n.rings).map(([k, v]) => [String(k), v])),
      })),
      hasQdevice: conf.hasQdevice,
      twoNode: conf.twoNode,
      logfile: logging.to_logfile === "yes" ? (logging.logfile ?? null) : null,
    };
  } catch {
    return { version: null, text, nodes: [], hasQdevice: false, twoNode: false, logfile: null };
  }
}

const missing = (r: CommandResult) => r.exitCode === 127 || /not found/.test(r.stderr);
const firstLine = (r: CommandResult) => r.stderr.trim().split("\n")[0] || `exit ${r.exitCode}`;

function unreachable(node: string): NodeLinkFacts {
  return {
    node,
    reachable: false,
    cfgtool: null,
    cfgNodes: null,
    localConf: null,
    pveConf: null,
    interfaces: null,
    addrs: null,
    knet: null,
    events: [],
    journal: "none",
    dropRules: [],
    pveFirewall: null,
    clock: null,
    softnet: null,
    qdevice: null,
    pings: [],
    problems: [],
  };
}

/** The address of `addr` (no prefix) among the node's interfaces: the interface that holds it. */
export function interfaceOf(addrs: Record<string, string[]> | null, addr: string): string | null {
  for (const [name, list] of Object.entries(addrs ?? {}))
    if (list.some((a) => a.split("/")[0] === addr)) return name;
  return null;
}

async function journalOf(
  ctx: ProbeContext,
  node: string,
  conf: LinkConf | null,
): Promise<Pick<NodeLinkFacts, "events" | "journal">> {
  const year = new Date().getUTCFullYear();
  const keep = (text: string) =>
    corosyncJournalEvents(text, year)
      .filter((e) => KEPT_EVENTS.has(e.kind) && (e.kind !== "sync" || e.what === "left"))
      .map((e) => ({
        kind: e.kind === "sync" ? "sync-left" : e.kind,
        at: e.at,
        host: "host" in e ? e.host : null,
        link: "link" in e ? e.link : null,
        message: e.message,
      }));
  const journal = await ctx.run(
    node,
    sh`timeout -s KILL 10 journalctl -u corosync -o short-iso --no-pager -n ${JOURNAL_LINES}`,
    { timeoutMs: 20_000 },
  );
  if (journal.exitCode === 0 && !journalEmpty(journal.stdout))
    return { events: keep(journal.stdout), journal: "journal" };
  // Without journald (or with logging to a file only) corosync's own log file has the same lines.
  if (conf?.logfile) {
    const file = await ctx.run(node, sh`tail -n ${JOURNAL_LINES} ${conf.logfile}`);
    if (file.exitCode === 0) return { events: keep(file.stdout), journal: "logfile" };
  }
  return { events: [], journal: "none" };
}

async function firewallOf(ctx: ProbeContext, node: string, problems: string[]) {
  const [nft, ipt, pve] = await Promise.all([
    ctx.run(node, "nft list ruleset"),
    ctx.run(node, "iptables-save"),
    ctx.run(node, "pve-firewall status"),
  ]);
  const rules: DropRule[] = [];
  if (nft.exitCode === 0) rules.push(...nftCorosyncDrops(nft.stdout));
  else if (!missing(nft)) problems.push(`\`nft list ruleset\` failed: ${firstLine(nft)}`);
  if (ipt.exitCode === 0) rules.push(...iptablesCorosyncDrops(ipt.stdout));
  const status = pve.exitCode === 0 ? (/^Status:\s*(.*)$/m.exec(pve.stdout)?.[1]?.trim() ?? null) : null;
  return { dropRules: rules, pveFirewall: status };
}

async function pingsOf(
  ctx: ProbeContext,
  node: string,
  conf: LinkConf,
  links: LinkDetail[],
  addrs: Record<string, string[]>,
): Promise<PeerPing[]> {
  const self = conf.nodes.find((n) => n.name === node);
  if (!self) return [];
  const jobs = conf.nodes
    .filter((peer) => peer.name !== node)
    .flatMap((peer) =>
      Object.entries(self.rings).flatMap(([link, from]) => {
        const to = peer.rings[link];
        const dev = interfaceOf(addrs, from);
        const mtu = links.find((l) => l.ifname === dev)?.mtu;
        if (to === undefined || dev === null || mtu === undefined) return [];
        const size = mtu - (from.includes(":") ? 48 : 28);
        return [{ link: Number(link), peer: peer.name, from, to, size }];
      }),
    );
  type Outcome = { result: PingResult; error?: undefined } | { result?: undefined; error: string };
  const ping = async (args: string): Promise<Outcome> => {
    // Not -q: iputils' quiet mode drops the kernel's "local error: message too long, mtu=N" and
    // its "+N errors" count (and routers' "Frag needed … mtu = N"), which name the MTU at fault.
    const r = await ctx.run(node, `timeout -s KILL ${PING_SECONDS} ping -n ${args}`, {
      timeoutMs: (PING_SECONDS + 10) * 1000,
      alone: true,
    });
    if (missing(r)) return { error: "ping is not installed" };
    try {
      return { result: parsePing(r.stdout, r.stderr) };
    } catch (error) {
      return { error: r.exitCode === 137 ? `ping did not end within ${PING_SECONDS} s` : String(error) };
    }
  };
  const one = async (j: (typeof jobs)[number]): Promise<PeerPing> => {
    const df = await ping(sh`-M do -s ${j.size} -c 3 -i 0.2 -W 1 -I ${j.from} ${j.to}`);
    if (df.result === undefined) return { ...j, df: null, small: null, error: df.error };
    if (df.result.received > 0) return { ...j, df: df.result, small: null, error: null };
    const small = await ping(sh`-c 3 -i 0.2 -W 1 -I ${j.from} ${j.to}`);
    return { ...j, df: df.result, small: small.result ?? null, error: null };
  };
  // A few at a time: each ping has an SSH channel of its own, and sshd allows ten per connection.
  const out: PeerPing[] = [];
  for (let i = 0; i < jobs.length; i += PINGS_AT_ONCE)
    out.push(...(await Promise.all(jobs.slice(i, i + PINGS_AT_ONCE).map(one))));
  return out;
}

/** One node's facts. Throws only when the node stops answering. */
export async function nodeLinkFacts(ctx: ProbeContext, node: string): Promise<NodeLinkFacts> {
  const problems: string[] = [];
  const read = async <T>(command: string, parse: (s: string, r: CommandResult) => T): Promise<T | null> => {
    const r = await ctx.run(node, command);
    if (r.exitCode !== 0 && !/^corosync-cfgtool/.test(command)) {
      if (!missing(r)) problems.push(`\`${command}\` failed: ${firstLine(r)}`);
      return null;
    }
    try {
      return parse(r.stdout, r);
    } catch (error) {
      problems.push(`unexpected output of \`${command}\`: ${(error as Error).message}`);
      return null;
    }
  };
  const [cfgtool, cfgNodes, localText, pveText, links, addrList, stats, softnet] = await Promise.all([
    read("corosync-cfgtool -s", (s, r) => readCorosyncCfgtool(`${s}\n${r.stderr}`)),
    read("corosync-cfgtool -n", (s, r) => parseCfgtoolNodes(`${s}\n${r.stderr}`)),
    ctx.readFile(node, LOCAL_COROSYNC_CONF),
    readPveCorosyncConf(ctx, node),
    read("ip -s -d -j link show", parseIpLinkDetails),
    read("ip -j addr show", parseIpAddr),
    ctx.run(node, "corosync-cmapctl -m stats stats.knet."),
    read("cat /proc/net/softnet_stat", parseSoftnetStat),
  ]);
  let knet: KnetLinkStats[] | null = null;
  if (stats.exitCode === 0) {
    try {
      knet = knetLinkStats(parseCorosyncCmapctl(stats.stdout));
    } catch (error) {
      problems.push(`unexpected output of \`corosync-cmapctl -m stats\`: ${(error as Error).message}`);
    }
  } else if (!cmapDown(stats.stderr) && !missing(stats))
    problems.push(`\`corosync-cmapctl -m stats stats.knet.\` failed: ${firstLine(stats)}`);
  const localConf = linkConfOf(localText);
  const pveConf = linkConfOf(typeof pveText === "string" ? pveText : null);
  if (pveText !== null && typeof pveText !== "string")
    problems.push(`${PVE_COROSYNC_CONF} could not be read: ${pveText.unreadable}`);
  const addrs = addrList
    ? Object.fromEntries(addrList.map((a) => [a.ifname, a.addrs.map((x) => `${x.local}/${x.prefixlen}`)]))
    : null;
  const conf = localConf ?? pveConf;
  const [journal, firewall, clock, qdevice, pings] = await Promise.all([
    journalOf(ctx, node, conf),
    firewallOf(ctx, node, problems),
    clockFacts(ctx, node),
    conf?.hasQdevice
      ? read("corosync-qdevice-tool -s", (s, r) => parseQdeviceTool(`${s}\n${r.stderr}`))
      : Promise.resolve(null),
    conf && links && addrs ? pingsOf(ctx, node, conf, links, addrs) : Promise.resolve([]),
  ]);
  return {
    node,
    reachable: true,
    cfgtool,
    cfgNodes,
    localConf,
    pveConf,
    interfaces: links,
    addrs,
    knet,
    ...journal,
    ...firewall,
    clock,
    softnet,
    qdevice,
    pings,
    problems,
  };
}

/** Every inventory node, in inventory order; a node that does not answer is named, not skipped. */
export async function linksFactsOf(ctx: ProbeContext): Promise<LinksFacts> {
  const { up } = await ctx.reachable();
  const nodes = await Promise.all(
    ctx.nodes.map(async (node) => {
      if (!up.includes(node)) return unreachable(node);
      try {
        return await nodeLinkFacts(ctx, node);
      } catch (error) {
        if (isNodeUnreachable(error)) return unreachable(node);
        throw error;
      }
    }),
  );
  return { nodes };
}
