/**
 * The network under corosync's knet links: which interface carries each ringX_addr and what knet
 * itself reports (`corosync-cfgtool -n`, `corosync-cmapctl -m stats`, the journal). knet's own state
 * follows `knetLinkUp`; ICMP follows ../commands/ping.ts, and an nft rule that drops UDP does not
 * stop ICMP, so ping and knet can disagree.
 */
import type { LabLink, LabNode, LabState } from "../state.js";
import { strftime } from "./clock.js";
import { corosyncRunning, knetLinksOf, knetLinkUp, runningConf } from "./quorum.js";

/** The interface holding `addr` on `node`. */
export function interfaceWith(node: LabNode, addr: string): LabLink | null {
  return node.links.find((l) => l.addrs.some((a) => a.split("/")[0] === addr)) ?? null;
}

/** The node's ringN_addr in its running corosync.conf. */
export function ringAddr(node: LabNode, link: number): string | null {
  return runningConf(node).nodes.find((n) => n.name === node.name)?.rings[link] ?? null;
}

const KNET_MTU_OVERHEAD = 103; // 1500-byte interface → knet data MTU 1397, as corosync-cfgtool -n prints

/** knet's data MTU on a link between two nodes: the smaller interface MTU less knet's headers. */
export function knetMtu(a: LabNode, b: LabNode, link: number): number {
  const mtu = (n: LabNode) => {
    const addr = ringAddr(n, link);
    return (addr ? interfaceWith(n, addr)?.mtu : undefined) ?? 1500;
  };
  return Math.min(mtu(a), mtu(b)) - KNET_MTU_OVERHEAD;
}

/** Peers of `node` in its running config, by node id. */
export function knetPeers(state: LabState, node: LabNode): Array<{ nodeid: number; peer: LabNode | null }> {
  return runningConf(node)
    .nodes.filter((n) => n.name !== node.name)
    .sort((a, b) => a.nodeid - b.nodeid)
    .map((n) => ({ nodeid: n.nodeid, peer: state.nodes.find((s) => s.name === n.name) ?? null }));
}

/** `corosync-cfgtool -n`: reachable peers only, one LINK line per enabled link (tools/corosync-cfgtool.c). */
export function cfgtoolNodesText(state: LabState, node: LabNode): string {
  const self = runningConf(node).nodes.find((n) => n.name === node.name);
  let out = `Local node ID ${self?.nodeid ?? node.nodeid}, transport knet\n`;
  for (const { nodeid, peer } of knetPeers(state, node)) {
    if (!peer) continue;
    const links = knetLinksOf(node);
    if (!links.some((l) => knetLinkUp(node, peer, l))) continue;
    out += `nodeid: ${nodeid} reachable\n`;
    for (const link of links) {
      const src = ringAddr(node, link);
      const dst = ringAddr(peer, link);
      if (src === null || dst === null) continue;
      const connected = knetLinkUp(node, peer, link) ? " connected" : "";
      out += `   LINK: ${link} udp (${src}->${dst}) enabled${connected} mtu: ${knetMtu(node, peer, link)}\n`;
    }
    out += "\n";
  }
  return out;
}

/** `stats.knet.node<id>.link<n>.*` keys as corosync 3.1 exports them (exec/stats.c), by key. */
export function knetStatKeys(state: LabState, node: LabNode): Map<string, { type: string; value: string }> {
  const keys = new Map<string, { type: string; value: string }>();
  for (const { nodeid, peer } of knetPeers(state, node)) {
    for (const link of knetLinksOf(node)) {
      const up = peer !== null && knetLinkUp(node, peer, link);
      const prefix = `stats.knet.node${nodeid}.link${link}.`;
      const set = (k: string, type: string, v: number) => keys.set(prefix + k, { type, value: String(v) });
      set("connected", "u8", up ? 1 : 0);
      // knet counts one down transition while the link comes up at start; a cut adds one.
      set("down_count", "u32", up ? 1 : 2);
      set("enabled", "u8", 1);
      set("latency_ave", "u32", up ? 180 + 20 * link : 0);
      set("latency_max", "u32", up ? 260 + 20 * link : 0);
      set("latency_min", "u32", up ? 120 : 0);
      set("latency_samples", "u32", up ? 2048 : 0);
      set("mtu", "u32", peer ? knetMtu(node, peer, link) : 1397);
      set("rx_total_retries", "u64", 0);
      set("tx_total_errors", "u64", 0);
      set("up_count", "u32", 1);
    }
  }
  return keys;
}

/**
 * `journalctl -u corosync -o short-iso`: the start of corosync at boot (links up, membership), then
 * for every peer link that is down now, knet's `is down` line and the passive best-link choice.
 * systemd 257 (PVE 9) prints the zone as `+00:00`.
 */
export function corosyncJournal(state: LabState, node: LabNode): string[] {
  if (!corosyncRunning(node)) return [];
  const pid = node.procs.find((p) => p.unit === "corosync")?.pid ?? 1187;
  const start = node.bootTime + 10;
  const line = (t: number, subsys: string, msg: string) =>
    `${strftime(t, "%Y-%m-%dT%H:%M:%S")}+00:00 ${node.name} corosync[${pid}]:   [${subsys.padEnd(6)}] ${msg}`;
  const peers = knetPeers(state, node);
  const links = knetLinksOf(node);
  const lines = [line(start, "MAIN", "Corosync Cluster Engine 3.1.9 starting up")];
  for (const { nodeid } of peers)
    for (const link of links) lines.push(line(start + 2, "KNET", `rx: host: ${nodeid} link: ${link} is up`));
  const members = [node, ...peers.flatMap((p) => (p.peer ? [p.peer] : []))]
    .map((n) => n.nodeid)
    .sort((a, b) => a - b);
  lines.push(line(start + 3, "QUORUM", `Members[${members.length}]: ${members.join(" ")}`));
  const down = state.clock - 300;
  for (const { nodeid, peer } of peers) {
    if (!peer) continue;
    const up = links.filter((l) => knetLinkUp(node, peer, l));
    for (const link of links.filter((l) => !up.includes(l))) {
      lines.push(line(down, "KNET", `link: host: ${nodeid} link: ${link} is down`));
      lines.push(
        up.length > 0
          ? line(down, "KNET", `host: host: ${nodeid} (passive) best link: ${up[0]} (pri: 1)`)
          : line(down, "KNET", `host: host: ${nodeid} has no active links`),
      );
    }
  }
  return lines;
}
