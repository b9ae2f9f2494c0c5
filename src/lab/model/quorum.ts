/**
 * corosync membership and votequorum as each node sees it. A node's partition is itself when its
 * cluster link is down, otherwise every node that is up, runs corosync and has its link up.
 * Arithmetic from votequorum: quorum = max((highest_expected+2)/2, (total_votes+2)/2).
 */
import type { LabNode, LabState } from "../state.js";
import { type LabCorosyncConf, readCorosyncConf } from "./corosync-conf.js";

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
  return conf.nodes.reduce((sum, n) => sum + n.quorumVotes, 0) || 1;
}

export function expectedVotesOf(node: LabNode): number {
  return node.expectedVotesOverride ?? configuredVotes(node);
}

/** Nodes in the same corosync membership as `node` (sorted by node id), or null when corosync is not running there. */
export function partitionOf(state: LabState, node: LabNode): LabNode[] | null {
  if (!corosyncRunning(node)) return null;
  if (!node.clusterLink) return [node];
  const names = new Set(runningConf(node).nodes.map((n) => n.name));
  return state.nodes
    .filter((n) => n === node || (names.has(n.name) && corosyncRunning(n) && n.clusterLink))
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
  const totalVotes = members.reduce((sum, m) => sum + m.votes, 0);
  const expectedVotes = expectedVotesOf(node);
  const highestExpected = Math.max(...partition.map(expectedVotesOf));
  const quorum = quorumFor(highestExpected, totalVotes, conf.twoNode && conf.nodes.length <= 2);
  return { conf, members, expectedVotes, highestExpected, totalVotes, quorum, quorate: totalVotes >= quorum };
}

export function quorumFor(highestExpected: number, totalVotes: number, twoNode = false): number {
  if (twoNode) return 1;
  return Math.max(Math.floor((highestExpected + 2) / 2), Math.floor((totalVotes + 2) / 2));
}

export function nodeQuorate(state: LabState, node: LabNode): boolean {
  return quorumView(state, node)?.quorate ?? false;
}
