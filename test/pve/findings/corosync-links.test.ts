/**
 * corosyncLinkFindings on hand-made facts: the branches the lab scenarios and the real bed do not
 * reach (every link down, a silent node, a two-node cluster, a lost QDevice, flapping, token
 * losses, configs that differ, loss, the clock, softnet drops).
 */
import { describe, expect, it } from "vitest";
import { corosyncLinkFindings } from "../../../src/pve/findings/corosync-links.js";
import type { LinkDetail } from "../../../src/pve/parsers/ip-link-stats.js";
import type { LinkConf, NodeLinkFacts } from "../../../src/pve/probes/corosync-links.js";

type Status = "localhost" | "connected" | "disconnected";

function conf(names: string[], extra: Partial<LinkConf> = {}): LinkConf {
  return {
    version: 4,
    text: `config_version: 4 ${names.join(" ")}`,
    nodes: names.map((name, i) => ({
      name,
      nodeid: i + 1,
      rings: { "0": `10.10.10.${i + 1}`, "1": `10.10.11.${i + 1}` },
    })),
    hasQdevice: false,
    twoNode: false,
    logfile: null,
    ...extra,
  };
}

const bridge = (ifname: string): LinkDetail => ({
  ifname,
  master: null,
  operstate: "UP",
  adminUp: true,
  carrier: true,
  mtu: 1500,
  kind: "bridge",
  slaveKind: null,
  lowerDev: null,
  rxDropped: 0,
  rxErrors: 0,
  txDropped: 0,
  txErrors: 0,
});

/** A node that answered, with every link connected unless `links` says otherwise (per link, per node id). */
function node(name: string, names: string[], links?: Record<number, Status[]>): NodeLinkFacts {
  const c = conf(names);
  const i = names.indexOf(name);
  const status = (link: number): Status[] =>
    links?.[link] ?? names.map((_, j) => (j === i ? "localhost" : "connected"));
  return {
    node: name,
    reachable: true,
    cfgtool: {
      localNodeId: i + 1,
      transport: "knet",
      links: [0, 1].map((linkId) => ({
        linkId,
        transport: "udp",
        addr: null,
        summary: null,
        nodes: status(linkId).map((s, j) => ({ nodeId: j + 1, status: s, enabled: null })),
      })),
      rings: [],
      state: "running",
      error: null,
      warnings: [],
    },
    cfgNodes: null,
    localConf: c,
    pveConf: c,
    interfaces: ["vmbr1", "vmbr2"].map(bridge),
    addrs: { vmbr1: [`10.10.10.${i + 1}/24`], vmbr2: [`10.10.11.${i + 1}/24`] },
    knet: [],
    events: [],
    journal: "journal",
    dropRules: [],
    pveFirewall: null,
    clock: { source: "chrony", synchronised: true, offsetSeconds: 0.00001, status: "Normal" },
    softnet: { cpus: 4, processed: 1000, dropped: 0, timeSqueeze: 0 },
    qdevice: null,
    pings: [],
    problems: [],
  };
}

const silent = (name: string): NodeLinkFacts => ({
  ...node(name, [name]),
  reachable: false,
  cfgtool: null,
  localConf: null,
  pveConf: null,
  interfaces: null,
  addrs: null,
  knet: null,
  clock: null,
  softnet: null,
});

const N3 = ["pve1", "pve2", "pve3"];

describe("corosyncLinkFindings", () => {
  it("healthy: nothing", () => {
    expect(corosyncLinkFindings(N3.map((n) => node(n, N3)))).toEqual([]);
  });

  it("a node cut off on every link is critical; a silent node is named, with its peers' view", () => {
    const gone: Record<number, Status[]> = {
      0: ["localhost", "connected", "disconnected"],
      1: ["localhost", "connected", "disconnected"],
    };
    const gone2: Record<number, Status[]> = {
      0: ["connected", "localhost", "disconnected"],
      1: ["connected", "localhost", "disconnected"],
    };
    const found = corosyncLinkFindings([node("pve1", N3, gone), node("pve2", N3, gone2), silent("pve3")]);
    expect(found.map((f) => [f.severity, f.node])).toEqual([
      ["critical", "pve3"],
      ["warning", "pve3"],
    ]);
    expect(found[0]?.summary).toBe(
      "pve3 is cut off on every corosync link (links 0, 1): pve1, pve2 see it disconnected (pve3 did not answer: its own side was not checked)",
    );
    expect(found[1]?.summary).toBe("pve3 did not answer: its corosync links were not checked from its side");
  });

  it("a link down between two nodes only is a pair finding, not blamed on either", () => {
    const found = corosyncLinkFindings([
      node("pve1", N3, { 1: ["localhost", "connected", "disconnected"] }),
      node("pve2", N3),
      node("pve3", N3, { 1: ["disconnected", "connected", "localhost"] }),
    ]);
    expect(found.map((f) => [f.node, f.summary])).toEqual([
      [
        "pve1",
        "corosync link 1 between pve1 and pve3 is down (seen from pve1); their other peers still reach them on it",
      ],
    ]);
  });

  it("a two-node cluster without a QDevice points to two-node-qdevice; a lost QDevice too", () => {
    const N2 = ["pve1", "pve2"];
    const two = corosyncLinkFindings(N2.map((n) => node(n, N2)));
    expect(two.map((f) => [f.severity, f.params, f.manual])).toEqual([
      ["warning", { runbook: "two-node-qdevice" }, "pvecm status"],
    ]);
    expect(two[0]?.summary).toMatch(/^two-node cluster \(pve1, pve2\) without a QDevice/);
    const withDevice = N2.map((n) => {
      const f = node(n, N2);
      const c = conf(N2, { hasQdevice: true });
      return { ...f, localConf: c, pveConf: c };
    });
    withDevice[0]!.qdevice = {
      state: "running",
      error: null,
      model: "Net",
      nodeId: 1,
      configuredNodes: [1, 2],
      membershipNodes: [1, 2],
      clusterName: "lab",
      qnetdHost: "10.0.0.9:5403",
      algorithm: "Fifty-Fifty split",
      tieBreaker: "Node with lowest node ID",
      connectionState: "Connect failed",
      connected: false,
      lastPollVote: null,
      quorumNodes: [],
      fields: {},
      warnings: [],
    };
    const lost = corosyncLinkFindings(withDevice);
    expect(lost.map((f) => [f.node, f.summary])).toEqual([
      [
        "pve1",
        "pve1: the QDevice is Connect failed to qnetd 10.0.0.9:5403: the tiebreaker vote is gone (see the two-node-qdevice runbook)",
      ],
    ]);
  });

  it("flapping (knet down count), token losses from the journal — and never 'raise the token'", () => {
    const f = node("pve1", N3);
    f.knet = [
      {
        nodeId: 2,
        link: 0,
        enabled: true,
        connected: true,
        latencyAveUs: 900,
        latencyMaxUs: 40000,
        downCount: 7,
        upCount: 7,
        mtu: 1397,
        txErrors: 0,
        rxRetries: 3,
      },
      {
        nodeId: 3,
        link: 0,
        enabled: true,
        connected: true,
        latencyAveUs: 150,
        latencyMaxUs: 200,
        downCount: 1,
        upCount: 1,
        mtu: 1397,
        txErrors: 0,
        rxRetries: 0,
      },
    ];
    f.events = [
      {
        kind: "link-down",
        at: Date.UTC(2026, 2, 11, 14, 2, 5),
        host: 2,
        link: 0,
        message: "link: host: 2 link: 0 is down",
      },
      {
        kind: "retransmit",
        at: Date.UTC(2026, 2, 11, 14, 2, 6),
        host: null,
        link: null,
        message: "Retransmit List: 1a",
      },
      {
        kind: "token-lost",
        at: Date.UTC(2026, 2, 11, 14, 2, 7),
        host: null,
        link: null,
        message:
          "A processor failed, forming new configuration: token timed out (3650ms), waiting 4380ms for consensus.",
      },
    ];
    const found = corosyncLinkFindings([f, node("pve2", N3), node("pve3", N3)]);
    expect(found.map((x) => x.summary)).toEqual([
      "corosync link 0 between pve1 and pve2 went down 7 times since corosync started (knet stats; latency avg 900 µs, max 40000 µs): it flaps",
      'pve1\'s corosync log has 1 token loss (last at 2026-03-11 14:02:07 UTC: "A processor failed, forming new configuration: token timed out (3650ms), waiting 4380ms for consensus."), 1 retransmit line, 1 link-down line and 0 `Sync left`: the network under corosync lost packets for seconds',
    ]);
    expect(found.every((x) => !/raise|increase|longer token/i.test(x.summary))).toBe(true);
  });

  it("configs that differ between nodes and between /etc/corosync and /etc/pve", () => {
    const facts = N3.map((n) => node(n, N3));
    facts[2]!.localConf = { ...conf(N3), version: 3, text: "config_version: 3" };
    const found = corosyncLinkFindings(facts);
    expect(found.map((f) => f.summary)).toEqual([
      "/etc/corosync/corosync.conf differs between nodes: pve1 config_version 4, pve2 config_version 4, pve3 config_version 3",
      "pve3: /etc/corosync/corosync.conf (config_version 3) differs from /etc/pve/corosync.conf (config_version 4): pmxcfs has not copied it",
    ]);
  });

  it("partial loss, an unsynchronised clock, backlog drops and a firewall rule on an up link", () => {
    const f = node("pve1", N3);
    f.pings = [
      {
        link: 0,
        peer: "pve2",
        from: "10.10.10.1",
        to: "10.10.10.2",
        size: 1472,
        df: {
          transmitted: 3,
          received: 2,
          errors: 0,
          lossPercent: 33,
          rttAvgMs: 0.2,
          localMtu: null,
          pathMtu: null,
          reportedMtu: null,
          hostUnreachable: false,
        },
        small: null,
        error: null,
      },
    ];
    f.clock = {
      source: "timedatectl",
      synchronised: false,
      offsetSeconds: null,
      status: "NTPSynchronized=no",
    };
    f.softnet = { cpus: 4, processed: 1000, dropped: 12, timeSqueeze: 40 };
    f.dropRules = [
      {
        source: "iptables",
        chain: "filter INPUT",
        rule: "-A INPUT -p udp -m udp --dport 5405 -j DROP",
        interfaces: [],
        addresses: [],
      },
    ];
    const found = corosyncLinkFindings([f, node("pve2", N3), node("pve3", N3)], "pve1");
    expect(found.map((x) => [x.severity, x.params.cause ?? x.params.peer, x.manual])).toEqual([
      ["warning", "firewall", "iptables-save"],
      ["warning", "clock", "timedatectl timesync-status"],
      ["info", "softnet", "sysctl net.core.netdev_max_backlog"],
      ["warning", "pve2", "ping -c 20 -i 0.2 -I 10.10.10.1 10.10.10.2"],
    ]);
    expect(found[3]?.summary).toBe(
      "33% packet loss from pve1 to pve2 on corosync link 0 (10.10.10.1 → 10.10.10.2)",
    );
    // Narrowed to another node: none of these.
    expect(corosyncLinkFindings([f, node("pve2", N3), node("pve3", N3)], "pve2")).toEqual([]);
  });

  it("an address that is on no interface is the cause of its link being down", () => {
    const f = node("pve3", N3, { 1: ["disconnected", "disconnected", "localhost"] });
    f.addrs = { vmbr1: ["10.10.10.3/24"] };
    const peers = ["pve1", "pve2"].map((n, i) =>
      node(n, N3, {
        1: i === 0 ? ["localhost", "connected", "disconnected"] : ["connected", "localhost", "disconnected"],
      }),
    );
    const found = corosyncLinkFindings([...peers, f]);
    expect(found[0]?.summary).toContain("link 1: 10.10.11.3 is on no interface of pve3");
    expect(found[0]?.manual).toBe("ip -j addr show");
  });
});

describe("corosyncLinkFindings on older layouts and counters", () => {
  it("a FAULTY corosync 2.x ring, and RX drops named as evidence of a down link", () => {
    const f = node("pve1", N3);
    f.cfgtool = {
      ...f.cfgtool!,
      links: [],
      rings: [
        {
          ringId: 1,
          addr: "10.20.20.1",
          status: "Marking ringid 1 interface 10.20.20.1 FAULTY",
          faulty: true,
        },
      ],
    };
    const rings = corosyncLinkFindings([f, node("pve2", N3), node("pve3", N3)]);
    expect(rings.map((x) => x.summary)).toEqual([
      "corosync ring 1 of pve1 (10.20.20.1) is FAULTY: Marking ringid 1 interface 10.20.20.1 FAULTY (corosync 2.x redundant ring)",
    ]);
    const cut = node("pve3", N3, { 1: ["disconnected", "disconnected", "localhost"] });
    cut.interfaces = cut.interfaces!.map((l) => (l.ifname === "vmbr2" ? { ...l, rxDropped: 4711 } : l));
    const peers = ["pve1", "pve2"].map((n, i) =>
      node(n, N3, {
        1: i === 0 ? ["localhost", "connected", "disconnected"] : ["connected", "localhost", "disconnected"],
      }),
    );
    expect(corosyncLinkFindings([...peers, cut])[0]?.summary).toContain(
      "link 1 (vmbr2, 10.10.11.3): RX dropped vmbr2 4711",
    );
  });
});

describe("corosyncLinkFindings while a one-way filter makes the peers' view flap", () => {
  it("blames the node that sees every peer gone when only some peers see it gone at this moment", () => {
    const found = corosyncLinkFindings([
      node("pve1", N3, { 0: ["localhost", "disconnected", "connected"] }),
      node("pve2", N3, { 0: ["disconnected", "localhost", "disconnected"] }),
      node("pve3", N3),
    ]);
    expect(found.map((f) => [f.node, f.summary])).toEqual([
      [
        "pve2",
        "corosync link 0 of pve2 is down (pve1 sees it disconnected on it; pve3 sees it connected at this moment: it flaps; quorum holds over link 1)",
      ],
    ]);
  });
});

describe("corosyncLinkFindings: a link down everywhere, and a cut node whose own view lags", () => {
  it("one finding for a link every node sees dead, none blaming a node", () => {
    const dead = (i: number): Status[] => N3.map((_, j) => (j === i ? "localhost" : "disconnected"));
    const found = corosyncLinkFindings(N3.map((n, i) => node(n, N3, { 1: dead(i) })));
    expect(found.map((f) => [f.severity, f.node, f.summary])).toEqual([
      [
        "warning",
        undefined,
        "corosync link 1 is down between every node (pve1, pve2, pve3 each see all peers disconnected on it): its switch, VLAN or subnet is down, not one node's end",
      ],
    ]);
  });

  it("blames the node all peers see gone even while its own knet has not noticed yet", () => {
    const found = corosyncLinkFindings([
      node("pve1", N3, { 1: ["localhost", "connected", "disconnected"] }),
      node("pve2", N3, { 1: ["connected", "localhost", "disconnected"] }),
      node("pve3", N3),
    ]);
    expect(found.map((f) => [f.node, f.params])).toEqual([["pve3", { node: "pve3", links: [1] }]]);
  });
});
