/**
 * What the corosync-links sweep found, from its facts: which knet link is down on which node and
 * why (interface, address, firewall, MTU, loss), links that flap, configs that differ between
 * nodes, "redundant" links that share one NIC, and a two-node cluster without a QDevice. Pure.
 * Fixes that another runbook makes are named by id in `params.runbook`; the next command is a
 * read-only check. It never suggests raising the token timeout: that hides a broken link.
 */
import { type FindingInput, finding } from "../../kit/finding.js";
import { sh } from "../../shell/quote.js";
import {
  type DropRule,
  interfaceOf,
  type LinkConf,
  lowerChain,
  type NodeLinkFacts,
  type PeerPing,
  physicalEnds,
} from "../probes/corosync-links.js";
import { cidrContains } from "../probes/network.js";

type Facts = readonly NodeLinkFacts[];
interface ConfNode {
  name: string;
  nodeid: number | null;
  rings: Record<string, string>;
}

const list = (xs: readonly string[]) => xs.join(", ");
const time = (ms: number | null) =>
  ms === null ? "" : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
const running = (f: NodeLinkFacts) => f.cfgtool?.state === "running";

/** The cluster's nodelist: the first usable corosync.conf of a node that answered. */
export function clusterNodelist(facts: Facts): ConfNode[] {
  for (const f of facts) {
    const conf = f.localConf ?? f.pveConf;
    if (conf && conf.nodes.length > 0) return conf.nodes;
  }
  return [];
}

export function linkNumbers(nodes: readonly ConfNode[]): number[] {
  return [...new Set(nodes.flatMap((n) => Object.keys(n.rings).map(Number)))].sort((a, b) => a - b);
}

/** Peers `f` sees `disconnected` on `link` (by node name). */
function disconnectedFrom(f: NodeLinkFacts, link: number, nodes: readonly ConfNode[]): string[] {
  const l = f.cfgtool?.links.find((x) => x.linkId === link);
  if (!l) return [];
  return l.nodes
    .filter((n) => n.status === "disconnected")
    .map((n) => nodes.find((c) => c.nodeid === n.nodeId)?.name ?? `node id ${n.nodeId}`);
}

/** The interface a link uses on a node and what is wrong with it, in words; null when it looks fine. */
function interfaceProblem(
  f: NodeLinkFacts,
  addr: string,
): { dev: string | null; at: string | null; problem: string | null } {
  const dev = interfaceOf(f.addrs, addr);
  if (dev === null) return { dev, at: null, problem: `${addr} is on no interface of ${f.node}` };
  const chain = lowerChain(f.interfaces ?? [], dev);
  // The deepest interface that fails is the cause: a bridge has no carrier because its port has none.
  const failing = chain.filter((l) => !l.adminUp || !l.carrier);
  const ports = chain.filter((l) => l.ifname !== dev);
  const root =
    failing.find((l) => !ports.some((p) => p.master === l.ifname && failing.includes(p))) ?? failing[0];
  if (root) {
    const under = root.ifname === dev ? "" : ` (under ${dev})`;
    const what = root.adminUp ? `has no carrier (operstate ${root.operstate})` : "is administratively down";
    return { dev, at: root.ifname, problem: `${root.ifname}${under} ${what}` };
  }
  return { dev, at: dev, problem: null };
}

function rulesFor(f: NodeLinkFacts, dev: string | null, addrs: readonly string[]): DropRule[] {
  const chain = dev === null ? [] : lowerChain(f.interfaces ?? [], dev).map((l) => l.ifname);
  return f.dropRules.filter(
    (r) =>
      (r.interfaces.length === 0 || r.interfaces.some((i) => chain.includes(i))) &&
      (r.addresses.length === 0 || r.addresses.some((c) => addrs.some((a) => cidrContains(c, a)))),
  );
}

const ruleWords = (f: NodeLinkFacts, rules: readonly DropRule[]) =>
  `${rules.length === 1 ? "a firewall rule on" : `${rules.length} firewall rules on`} ${f.node} ${rules.length === 1 ? "drops" : "drop"} corosync's UDP: ${rules
    .map((r) => `\`${r.rule}\` (${r.source} ${r.chain})`)
    .join("; ")}`;

function firstDown(facts: Facts, nodeid: number | null, link: number): string | null {
  const seen = facts.flatMap((f) =>
    f.events
      .filter((e) => e.kind === "link-down" && e.host === nodeid && e.link === link)
      .map((e) => ({ f, e })),
  );
  if (seen.length === 0) return null;
  const first = [...seen].sort((a, b) => (a.e.at ?? 0) - (b.e.at ?? 0))[0]!;
  return `${first.f.node} logged it down first${first.e.at === null ? "" : ` at ${time(first.e.at)} UTC`}`;
}

function pingWords(pings: readonly PeerPing[]): string | null {
  const silent = pings.filter((p) => p.df && p.df.received === 0 && p.small && p.small.received === 0);
  if (silent.length > 0) return `no ping answer on it (${list(silent.map((p) => `${p.from} → ${p.to}`))})`;
  const passed = pings.filter((p) => (p.df?.received ?? 0) > 0 || (p.small?.received ?? 0) > 0);
  if (passed.length > 0 && passed.length === pings.length)
    return "pings over it pass: the network carries ICMP, not corosync's UDP";
  return null;
}

/** (a) + (b) + (e firewall): link state per node and link, with the cause found on the node. */
function linkStateFindings(facts: Facts, nodes: readonly ConfNode[]): FindingInput[] {
  const out: FindingInput[] = [];
  const links = linkNumbers(nodes);
  const answering = facts.filter((f) => f.reachable && running(f));
  const cut = new Set<string>();
  // A link every node sees dead towards every peer: its network is down, not one node's end of it.
  const everywhere = links.filter(
    (link) =>
      answering.length >= 2 &&
      answering.every((f) => disconnectedFrom(f, link, nodes).length === nodes.length - 1),
  );
  for (const link of everywhere) {
    for (const n of nodes) cut.add(`${n.name} ${link}`);
    out.push(
      finding({
        severity: everywhere.length === links.length ? "critical" : "warning",
        summary: `corosync link ${link} is down between every node (${list(answering.map((f) => f.node))} each see all peers disconnected on it): its switch, VLAN or subnet is down, not one node's end`,
        verb: "plan",
        params: { links: [link] },
        manual: sh`corosync-cfgtool -n`,
      }),
    );
  }
  for (const target of nodes) {
    const f = facts.find((x) => x.node === target.name);
    const peers = answering.filter((p) => p.node !== target.name);
    const seenOn = (link: number) =>
      peers.filter((p) => disconnectedFrom(p, link, nodes).includes(target.name));
    const down = links.filter((link) => {
      if (everywhere.includes(link)) return false;
      const seen = seenOn(link);
      const own = f && running(f) ? disconnectedFrom(f, link, nodes) : null;
      // Every peer that answered sees it gone: its own view may still lag by a knet timeout.
      if (seen.length > 0 && seen.length === peers.length) return true;
      // It sees every peer gone and some of them see it gone: a one-way filter makes the peers'
      // view flap (a packet from it brings the link up until the next pong is missed).
      const allPeers = nodes.length - 1;
      return own !== null && allPeers > 0 && own.length === allPeers && seen.length > 0;
    });
    if (down.length === 0) continue;
    for (const link of down) cut.add(`${target.name} ${link}`);
    const all = down.length === links.length;
    // corosync not running is restart-pve-services' finding: its links are not the cause.
    if (f?.reachable && f.cfgtool?.state === "corosync-down") continue;
    const causes: string[] = [];
    let runbook: string | null = null;
    let next = sh`corosync-cfgtool -n`;
    for (const link of down) {
      const addr = target.rings[String(link)];
      if (!f?.reachable || addr === undefined) continue;
      const peerAddrs = nodes.flatMap((n) => (n.name === target.name ? [] : [n.rings[String(link)] ?? ""]));
      const { dev, at, problem } = interfaceProblem(f, addr);
      const rules = rulesFor(f, dev, [addr, ...peerAddrs]);
      const why: string[] = [];
      const drops = lowerChain(f.interfaces ?? [], dev ?? "").filter((l) => (l.rxDropped ?? 0) > 0);
      if (drops.length > 0) why.push(`RX dropped ${list(drops.map((l) => `${l.ifname} ${l.rxDropped}`))}`);
      if (problem) {
        why.push(problem);
        next = at === null ? sh`ip -j addr show` : sh`ip -d link show dev ${at}`;
      }
      if (rules.length > 0) {
        why.push(ruleWords(f, rules));
        next = rules[0]!.source === "nft" ? "nft -a list ruleset" : "iptables-save";
      }
      const pinged = pingWords(f.pings.filter((p) => p.link === link));
      if (pinged && !problem) why.push(pinged);
      if (/^zt/.test(dev ?? "")) runbook = "zerotier-blacklist";
      const first = firstDown(facts, target.nodeid, link);
      if (first) why.push(first);
      if (why.length > 0) causes.push(`link ${link}${dev ? ` (${dev}, ${addr})` : ""}: ${why.join("; ")}`);
    }
    const seeing = peers.filter((p) => down.some((link) => seenOn(link).includes(p)));
    const flapping = peers.filter((p) => !seeing.includes(p));
    const seenBy = `${list(seeing.map((p) => p.node))} ${seeing.length === 1 ? "sees" : "see"}`;
    const flaps =
      flapping.length > 0
        ? `; ${list(flapping.map((p) => p.node))} ${flapping.length === 1 ? "sees" : "see"} it connected at this moment: it flaps`
        : "";
    const linkWord = down.length === 1 ? `link ${down[0]}` : `links ${list(down.map(String))}`;
    const where = f?.reachable ? "" : ` (${target.name} did not answer: its own side was not checked)`;
    const summary = all
      ? `${target.name} is cut off on every corosync link (${linkWord})${seeing.length > 0 ? `: ${seenBy} it disconnected${flaps}` : ""}${where}${causes.length ? `. ${causes.join(". ")}` : ""}`
      : `corosync ${linkWord} of ${target.name} is down (${seenBy} it disconnected on it${flaps}; quorum holds over link ${list(links.filter((l) => !down.includes(l)).map(String))})${where}${causes.length ? `. ${causes.join(". ")}` : ""}`;
    out.push(
      finding({
        severity: all ? "critical" : "warning",
        summary,
        verb: "plan",
        node: target.name,
        params: { node: target.name, links: down, ...(runbook ? { runbook } : {}) },
        manual: next,
      }),
    );
  }
  // Single pairs: two nodes that do not hear each other on a link, neither of them its broken end.
  const pairs = new Set<string>();
  for (const f of answering) {
    for (const link of links) {
      for (const peer of disconnectedFrom(f, link, nodes)) {
        const ends = [f.node, peer].sort();
        const key = `${ends.join(" ")} ${link}`;
        if (pairs.has(key) || ends.some((n) => cut.has(`${n} ${link}`))) continue;
        pairs.add(key);
        out.push(
          finding({
            severity: "warning",
            summary: `corosync link ${link} between ${ends[0]} and ${ends[1]} is down (seen from ${f.node}); their other peers still reach them on it`,
            verb: "plan",
            node: f.node,
            params: { node: f.node, links: [link], peer },
            manual: sh`corosync-cfgtool -n`,
          }),
        );
      }
    }
  }
  return out;
}

/** corosync 2.x redundant rings: `Marking ringid 1 interface … FAULTY` (`corosync-cfgtool -r` re-enabled them there). */
function faultyRings(facts: Facts): FindingInput[] {
  return facts.flatMap((f) =>
    (f.cfgtool?.rings ?? [])
      .filter((r) => r.faulty)
      .map((r) =>
        finding({
          severity: "warning",
          summary: `corosync ring ${r.ringId} of ${f.node} (${r.addr}) is FAULTY: ${r.status} (corosync 2.x redundant ring)`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, links: [r.ringId] },
          manual: "corosync-cfgtool -s",
        }),
      ),
  );
}

/** (c) MTU along each link: interface MTUs that differ, and DF pings that fail where small ones pass. */
function mtuFindings(facts: Facts, nodes: readonly ConfNode[]): FindingInput[] {
  const out: FindingInput[] = [];
  for (const link of linkNumbers(nodes)) {
    const mtus = facts.flatMap((f) => {
      const addr = nodes.find((n) => n.name === f.node)?.rings[String(link)];
      const dev = addr === undefined ? null : interfaceOf(f.addrs, addr);
      const mtu = f.interfaces?.find((l) => l.ifname === dev)?.mtu;
      return dev === null || mtu === undefined ? [] : [{ node: f.node, dev, mtu }];
    });
    const failed = facts.flatMap((f) =>
      f.pings.filter(
        (p) => p.link === link && p.df !== null && p.df.received === 0 && (p.small?.received ?? 0) > 0,
      ),
    );
    // knet's own path MTU per peer (`corosync-cfgtool -n`): PMTUD shrinks it where a hop is smaller.
    const knet = facts.flatMap((f) =>
      (f.cfgNodes?.nodes ?? []).flatMap((n) =>
        n.links
          .filter((l) => l.linkId === link)
          .map((l) => ({
            path: `${f.node} → ${nodes.find((c) => c.nodeid === n.nodeId)?.name ?? n.nodeId}`,
            mtu: l.mtu,
          })),
      ),
    );
    const knetDiffers = new Set(knet.map((k) => k.mtu)).size > 1;
    const distinct = [...new Set(mtus.map((m) => m.mtu))];
    if (distinct.length < 2 && failed.length === 0) continue;
    const low = mtus.length > 0 ? Math.min(...mtus.map((m) => m.mtu)) : null;
    const lowNodes = mtus.filter((m) => m.mtu === low);
    const evidence = [
      distinct.length > 1
        ? `interface MTUs differ: ${list(mtus.map((m) => `${m.node} ${m.dev} ${m.mtu}`))}`
        : "",
      failed.length > 0
        ? `DF pings that do not fit: ${list(failed.map((p) => `${p.from} → ${p.to} ${p.size} bytes lost${p.df?.reportedMtu ? ` (mtu ${p.df.reportedMtu})` : ""}, 56 bytes pass`))}`
        : "",
      knetDiffers ? `knet path MTUs: ${list(knet.map((k) => `${k.path} ${k.mtu}`))}` : "",
    ].filter(Boolean);
    const culprit = distinct.length > 1 && lowNodes.length === 1 ? lowNodes[0]! : null;
    const p = failed[0];
    out.push(
      finding({
        severity: "warning",
        summary: `MTU mismatch on corosync link ${link}${culprit ? `: ${culprit.node} ${culprit.dev} has MTU ${culprit.mtu}` : ""}; knet must shrink its packets and large ones are lost in between. ${evidence.join("; ")}`,
        verb: "plan",
        ...(culprit ? { node: culprit.node } : {}),
        params: { ...(culprit ? { node: culprit.node } : {}), links: [link], cause: "mtu" },
        manual: p ? sh`ping -M do -s ${p.size} -c 3 -I ${p.from} ${p.to}` : sh`ip -d link show`,
      }),
    );
  }
  return out;
}

/** Packet loss that is not total (a total loss is a down link). */
function lossFindings(facts: Facts): FindingInput[] {
  return facts.flatMap((f) =>
    f.pings
      .filter((p) => p.df && p.df.received > 0 && p.df.lossPercent > 0)
      .map((p) =>
        finding({
          severity: "warning",
          summary: `${p.df?.lossPercent}% packet loss from ${f.node} to ${p.peer} on corosync link ${p.link} (${p.from} → ${p.to})`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, links: [p.link], peer: p.peer },
          manual: sh`ping -c 20 -i 0.2 -I ${p.from} ${p.to}`,
        }),
      ),
  );
}

/** (d) knet statistics and the journal: flapping links, token losses, retransmits. */
function flapFindings(facts: Facts, nodes: readonly ConfNode[]): FindingInput[] {
  const out: FindingInput[] = [];
  const name = (id: number) => nodes.find((n) => n.nodeid === id)?.name ?? `node id ${id}`;
  for (const f of facts) {
    for (const s of f.knet ?? []) {
      // knet counts one down transition while a link comes up at start.
      if ((s.downCount ?? 0) < 3) continue;
      out.push(
        finding({
          severity: "warning",
          summary: `corosync link ${s.link} between ${f.node} and ${name(s.nodeId)} went down ${s.downCount} times since corosync started (knet stats; latency avg ${s.latencyAveUs ?? "?"} µs, max ${s.latencyMaxUs ?? "?"} µs): it flaps`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, links: [s.link], peer: name(s.nodeId) },
          manual: sh`corosync-cmapctl -m stats ${`stats.knet.node${s.nodeId}.link${s.link}.`}`,
        }),
      );
    }
    const lost = f.events.filter((e) => e.kind === "token-lost");
    if (lost.length > 0) {
      const retransmits = f.events.filter((e) => e.kind === "retransmit").length;
      const downs = f.events.filter((e) => e.kind === "link-down");
      const left = f.events.filter((e) => e.kind === "sync-left").length;
      out.push(
        finding({
          severity: "warning",
          summary: `${f.node}'s corosync log has ${lost.length} token loss${lost.length === 1 ? "" : "es"} (last at ${time(lost[lost.length - 1]!.at)} UTC: "${lost[lost.length - 1]!.message}"), ${retransmits} retransmit line${retransmits === 1 ? "" : "s"}, ${downs.length} link-down line${downs.length === 1 ? "" : "s"} and ${left} \`Sync left\`: the network under corosync lost packets for seconds`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, cause: "token-loss" },
          manual: "journalctl -u corosync -o short-iso -n 300",
        }),
      );
    }
  }
  return out;
}

/** (b) two links on one NIC, bond or bridge: redundancy on paper only. */
function fakeRedundancy(facts: Facts, nodes: readonly ConfNode[]): FindingInput[] {
  const out: FindingInput[] = [];
  for (const f of facts) {
    const self = nodes.find((n) => n.name === f.node);
    const ifs = f.interfaces;
    if (!self || !ifs) continue;
    const devs = Object.entries(self.rings)
      .map(([link, addr]) => ({ link: Number(link), dev: interfaceOf(f.addrs, addr) }))
      .filter((d): d is { link: number; dev: string } => d.dev !== null);
    for (let i = 0; i < devs.length; i++) {
      for (let j = i + 1; j < devs.length; j++) {
        const a = devs[i]!;
        const b = devs[j]!;
        const ends = physicalEnds(ifs, a.dev);
        const shared = a.dev === b.dev ? [a.dev] : ends.filter((e) => physicalEnds(ifs, b.dev).includes(e));
        if (shared.length === 0) continue;
        const how =
          a.dev === b.dev ? `both on ${a.dev}` : `${a.dev} and ${b.dev} both run over ${list(shared)}`;
        out.push(
          finding({
            severity: "warning",
            summary: `corosync links ${a.link} and ${b.link} of ${f.node} are not redundant: ${how}; one NIC, cable or switch port takes both down (move one link with the cluster-network runbook)`,
            verb: "plan",
            node: f.node,
            params: { node: f.node, links: [a.link, b.link], runbook: "cluster-network" },
            manual: sh`ip -d link show`,
          }),
        );
      }
    }
  }
  return out;
}

/** The config as corosync reads it: trailing blanks and empty lines carry nothing (a report may drop them). */
const normalized = (c: LinkConf) =>
  c.text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .join("\n");

/** (d) the config each node runs and the one pmxcfs holds. */
function configFindings(facts: Facts): FindingInput[] {
  const answered = facts.filter((f) => f.reachable && f.localConf);
  const describe = (c: LinkConf | null) =>
    c === null ? "missing" : `config_version ${c.version ?? "(none)"}`;
  const out: FindingInput[] = [];
  const texts = new Set(answered.map((f) => normalized(f.localConf!)));
  if (texts.size > 1)
    out.push(
      finding({
        severity: "warning",
        summary: `/etc/corosync/corosync.conf differs between nodes: ${list(answered.map((f) => `${f.node} ${describe(f.localConf)}`))}`,
        verb: "plan",
        params: { cause: "config-differs" },
        manual: "corosync-cmapctl -g totem.config_version",
      }),
    );
  for (const f of answered) {
    if (f.pveConf === null || normalized(f.pveConf) === normalized(f.localConf!)) continue;
    out.push(
      finding({
        severity: "warning",
        summary: `${f.node}: /etc/corosync/corosync.conf (${describe(f.localConf)}) differs from /etc/pve/corosync.conf (${describe(f.pveConf)}): pmxcfs has not copied it${(f.pveConf.version ?? 0) < (f.localConf!.version ?? 0) ? " (the local copy is newer, pmxcfs never copies backwards)" : ""}`,
        verb: "plan",
        node: f.node,
        params: { node: f.node, cause: "config-differs" },
        manual: "cmp /etc/corosync/corosync.conf /etc/pve/corosync.conf",
      }),
    );
  }
  return out;
}

/** (e) rules not already named as the cause of a down link, the clock, softnet drops. */
function hostFindings(facts: Facts, named: readonly FindingInput[]): FindingInput[] {
  const out: FindingInput[] = [];
  for (const f of facts) {
    if (!f.reachable) continue;
    const rules = f.dropRules.filter((r) => !named.some((n) => n.summary.includes(r.rule)));
    if (rules.length > 0)
      out.push(
        finding({
          severity: "warning",
          summary: `${ruleWords(f, rules)}${f.pveFirewall ? ` (pve-firewall: ${f.pveFirewall})` : ""}`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, cause: "firewall" },
          manual: rules[0]!.source === "nft" ? "nft -a list ruleset" : "iptables-save",
        }),
      );
    if (f.clock && (!f.clock.synchronised || Math.abs(f.clock.offsetSeconds ?? 0) > 0.5))
      out.push(
        finding({
          severity: "warning",
          summary: `the clock of ${f.node} is not synchronised (${f.clock.source}: ${f.clock.status}${f.clock.offsetSeconds === null ? "" : `, ${f.clock.offsetSeconds} s off`}): corosync logs of the nodes cannot be lined up`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, cause: "clock" },
          manual: f.clock.source === "chrony" ? "chronyc sources -v" : "timedatectl timesync-status",
        }),
      );
    if (f.softnet && f.softnet.dropped > 0)
      out.push(
        finding({
          severity: "info",
          summary: `${f.node} dropped ${f.softnet.dropped} packets because a CPU backlog queue was full (/proc/net/softnet_stat since boot, ${f.softnet.timeSqueeze} time squeezes): corosync packets may be among them`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, cause: "softnet" },
          manual: "sysctl net.core.netdev_max_backlog",
        }),
      );
  }
  return out;
}

/** (e) a two-node cluster without a tiebreaker, and a QDevice that lost its qnetd. */
function quorumDeviceFindings(facts: Facts, nodes: readonly ConfNode[]): FindingInput[] {
  const conf = facts.map((f) => f.localConf ?? f.pveConf).find((c) => c !== null) ?? null;
  if (!conf) return [];
  const out: FindingInput[] = [];
  if (nodes.length === 2 && !conf.hasQdevice)
    out.push(
      finding({
        severity: "warning",
        summary: `two-node cluster (${list(nodes.map((n) => n.name))}) without a QDevice${conf.twoNode ? " (two_node is set by hand)" : ""}: when either node stops or its links go down, the other loses quorum; the two-node-qdevice runbook adds a tiebreaker`,
        verb: "plan",
        params: { runbook: "two-node-qdevice" },
        manual: "pvecm status",
      }),
    );
  for (const f of facts) {
    if (!f.qdevice) continue;
    if (f.qdevice.state === "running" && f.qdevice.connected) continue;
    out.push(
      finding({
        severity: "warning",
        summary: `${f.node}: the QDevice ${f.qdevice.state === "running" ? `is ${f.qdevice.connectionState ?? "not connected"} to qnetd ${f.qdevice.qnetdHost ?? ""}`.trim() : "daemon does not run"}: the tiebreaker vote is gone (see the two-node-qdevice runbook)`,
        verb: "plan",
        node: f.node,
        params: { node: f.node, runbook: "two-node-qdevice" },
        manual: "corosync-qdevice-tool -sv",
      }),
    );
  }
  return out;
}

/** Every finding of the sweep; `node` narrows it to findings about that node (or the whole cluster). */
export function corosyncLinkFindings(facts: Facts, node?: string): FindingInput[] {
  const nodes = clusterNodelist(facts);
  const links = linkStateFindings(facts, nodes);
  const all = [
    ...links,
    ...faultyRings(facts),
    ...hostFindings(facts, links),
    ...mtuFindings(facts, nodes),
    ...lossFindings(facts),
    ...flapFindings(facts, nodes),
    ...fakeRedundancy(facts, nodes),
    ...configFindings(facts),
    ...quorumDeviceFindings(facts, nodes),
    ...facts
      .filter((f) => !f.reachable)
      .map((f) =>
        finding({
          severity: "warning",
          summary: `${f.node} did not answer: its corosync links were not checked from its side`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, cause: "unreachable" },
          manual: sh`ssh ${`root@${f.node}`} true`,
        }),
      ),
    ...facts.flatMap((f) =>
      f.problems.map((p) =>
        finding({
          severity: "info",
          summary: `${f.node}: ${p}`,
          verb: "plan",
          node: f.node,
          params: { node: f.node, cause: "probe" },
          manual: "corosync-cfgtool -s",
        }),
      ),
    ),
  ];
  return node === undefined ? all : all.filter((f) => f.node === undefined || f.node === node);
}
