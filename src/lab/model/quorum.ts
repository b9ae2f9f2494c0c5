/**
 * corosync membership and votequorum as each node sees it. A node's partition is itself when its
 * cluster link is down, otherwise every node that is up, runs corosync and shares at least one
 * knet link with it that is up on both ends.
 * Arithmetic from votequorum: quorum = max((highest_expected+2)/2, (total_votes+2)/2).
 */
import type { LabNode, LabState } from "../state.js";
import { type LabCorosyncConf, readCorosyncConf } from "./corosync-conf.js";
import { framesPass, linkState, linkWithAddress, nodeLinks } from "./network.js";
import { deviceVotes, qdeviceConnected, qdeviceRegistered, qnetdVotesFor } from "./qdevice.js";

export const COROSYNC_CONF = "/etc/corosync/corosync.conf";

export interface QuorumMember {
  node: LabNode;
  nodeid: number;
  votes: number;
}

export interface QuorumView {
  conf: LabCorosyncConf;
  members: QuorumMember[];
  expectedVotes: number;
  highestExpected: number;
  totalVotes: number;
  quorum: number;
  quorate: boolean;
  /** The configured QDevice as this node's votequorum sees it; null when none is configured. */
  qdevice?: { votes: number; registered: boolean; casting: boolean } | null;
}

export function corosyncRunning(node: LabNode): boolean {
  return node.up && node.services.corosync === "active";
}

/**
 * The configuration the running corosync of `node` uses: what it loaded at start or at the last
 * `corosync-cfgtool -R`, not what the file says now (state written before that was kept: the file).
 */
export function runningConf(node: LabNode): LabCorosyncConf {
  return readCorosyncConf(node.corosyncLoaded ?? node.files[COROSYNC_CONF] ?? "");
}

/** `corosync-cfgtool -R`: every running corosync in `node`'s partition reloads its own corosync.conf. */
export function reloadCorosync(state: LabState, node: LabNode): void {
  for (const member of partitionOf(state, node) ?? []) {
    const text = member.files[COROSYNC_CONF];
    if (text !== undefined) member.corosyncLoaded = text;
  }
}

function configuredVotes(node: LabNode): number {
  const conf = runningConf(node);
  // votequorum counts a configured device's votes in expected votes even while it does not vote.
  return (conf.nodes.reduce((sum, n) => sum + n.quorumVotes, 0) || 1) + deviceVotes(conf);
}

export function expectedVotesOf(node: LabNode): number {
  return node.expectedVotesOverride ?? configuredVotes(node);
}

/**
 * Whether knet link `link` carries traffic between `a` and `b`: both run corosync, both have the
 * link in their running corosync.conf, and neither has it (or its whole cluster network) down.
 */
export function knetLinkUp(a: LabNode, b: LabNode, link: number): boolean {
  if (a === b || !corosyncRunning(a) || !corosyncRunning(b)) return false;
  const configured = (n: LabNode) => {
    const entries = runningConf(n).nodes;
    return [a, b].every((m) => entries.some((e) => e.name === m.name && e.rings[link] !== undefined));
  };
  const up = (n: LabNode) => n.clusterLink && !n.downLinks.includes(link);
  return configured(a) && configured(b) && up(a) && up(b) && wired(a, b, link);
}

/**
 * The interfaces under link `link` on both ends pass frames (carrier, same switch VLAN). An address
 * the lab does not model as an interface counts as wired, as scenarios without interfaces expect.
 */
function wired(a: LabNode, b: LabNode, link: number): boolean {
  const iface = (n: LabNode) => {
    const addr = runningConf(n).nodes.find((e) => e.name === n.name)?.rings[link];
    return addr === undefined ? null : linkWithAddress(n, addr);
  };
  const [x, y] = [iface(a), iface(b)];
  if (x && linkState(x, nodeLinks(a)) !== "up") return false;
  if (y && linkState(y, nodeLinks(b)) !== "up") return false;
  return x === null || y === null || framesPass(x, nodeLinks(a), y, nodeLinks(b));
}

/** The knet link numbers in `node`'s running corosync.conf, ascending. */
export function knetLinksOf(node: LabNode): number[] {
  const links = runningConf(node).nodes.flatMap((n) => Object.keys(n.rings).map(Number));
  return [...new Set(links)].sort((x, y) => x - y);
}

/** Whether `a` and `b` hear each other on at least one knet link. */
export function knetConnected(a: LabNode, b: LabNode): boolean {
  return knetLinksOf(a).some((link) => knetLinkUp(a, b, link));
}

/** Nodes in the same corosync membership as `node` (sorted by node id), or null when corosync is not running there. */
export function partitionOf(state: LabState, node: LabNode): LabNode[] | null {
  if (!corosyncRunning(node)) return null;
  if (!node.clusterLink) return [node];
  const names = new Set(runningConf(node).nodes.map((n) => n.name));
  return state.nodes
    .filter((n) => n === node || (names.has(n.name) && knetConnected(node, n)))
    .sort((a, b) => a.nodeid - b.nodeid);
}

export function quorumView(state: LabState, node: LabNode): QuorumView | null {
  const partition = partitionOf(state, node);
  if (!partition) return null;
  const conf = runningConf(node);
  const members = partition.map((member) => {
    const entry = conf.nodes.find((n) => n.name === member.name);
    return { node: member, nodeid: entry?.nodeid ?? member.nodeid, votes: entry?.quorumVotes ?? 1 };
  });
  const registered = qdeviceRegistered(node);
  const casting = registered && qdeviceConnected(state, node) && qnetdVotesFor(state, partition);
  const qdevice = conf.device ? { votes: deviceVotes(conf), registered, casting } : null;
  const totalVotes = members.reduce((sum, m) => sum + m.votes, 0) + (casting ? deviceVotes(conf) : 0);
  const expectedVotes = expectedVotesOf(node);
  const highestExpected = Math.max(...partition.map(expectedVotesOf));
  const quorum = quorumFor(highestExpected, totalVotes, conf.twoNode && conf.nodes.length <= 2);
  return {
    conf,
    members,
    expectedVotes,
    highestExpected,
    totalVotes,
    quorum,
    quorate: totalVotes >= quorum,
    qdevice,
  };
}

export function quorumFor(highestExpected: number, totalVotes: number, twoNode = false): number {
  if (twoNode) return 1;
  return Math.max(Math.floor((highestExpected + 2) / 2), Math.floor((totalVotes + 2) / 2));
}

export function nodeQuorate(state: LabState, node: LabNode): boolean {
  return quorumView(state, node)?.quorate ?? false;
}
