/**
 * The parsers of the corosync-links sweep on real output: corosync 3.1.7 / knet 1.25 and iproute2,
 * iputils, nftables from Debian bookworm, recorded in the netns bed (scripts/testbed/netns-up.sh
 * --links 2) with link 1 of node3 down; chronyc's sample from chrony's doc/chronyc.adoc.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseChronycTracking, parseTimedatectlShow } from "../../../src/pve/parsers/clock-sync.js";
import { parseCorosyncCfgtool } from "../../../src/pve/parsers/corosync-cfgtool.js";
import { parseCfgtoolNodes } from "../../../src/pve/parsers/corosync-cfgtool-nodes.js";
import { parseCorosyncCmapctl } from "../../../src/pve/parsers/corosync-cmapctl.js";
import { corosyncJournalEvents, journalEmpty } from "../../../src/pve/parsers/corosync-journal.js";
import { iptablesCorosyncDrops, nftCorosyncDrops } from "../../../src/pve/parsers/firewall-rules.js";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { lowerChain, parseIpLinkDetails, physicalEnds } from "../../../src/pve/parsers/ip-link-stats.js";
import { knetLinkStats } from "../../../src/pve/parsers/knet-stats.js";
import { parsePing } from "../../../src/pve/parsers/ping.js";
import { parseSoftnetStat } from "../../../src/pve/parsers/softnet-stat.js";
import { clockFacts } from "../../../src/pve/probes/corosync-links-clock.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("corosync-cfgtool with one of two links down (the existing parsers)", () => {
  it("-s: the peers' view names node 3 disconnected on link 1 only; the cut node sees both peers gone", () => {
    const peer = parseCorosyncCfgtool(fixture("corosync-cfgtool-3.1.7-link1-node3-down.txt"));
    expect(peer.links.map((l) => [l.linkId, l.nodes.map((n) => n.status)])).toEqual([
      [0, ["localhost", "connected", "connected"]],
      [1, ["localhost", "connected", "disconnected"]],
    ]);
    const cut = parseCorosyncCfgtool(fixture("corosync-cfgtool-3.1.7-link1-down-local.txt"));
    expect(cut.links[1]?.nodes.map((n) => n.status)).toEqual(["disconnected", "disconnected", "localhost"]);
  });

  it("-n: node 3 stays reachable over link 0, its link 1 is enabled but not connected", () => {
    const n = parseCfgtoolNodes(fixture("corosync-cfgtool-n-3.1.7-link1-down.txt"));
    expect(n.nodes.find((x) => x.nodeId === 3)?.links.map((l) => [l.linkId, l.connected, l.mtu])).toEqual([
      [0, true, 1397],
      [1, false, 1397],
    ]);
  });
});

describe("parseIpLinkDetails (`ip -s -d -j link show`)", () => {
  it("reads a veth set down: no UP, no carrier, its counters; a veth's peer is not a lower device", () => {
    const [ring1] = parseIpLinkDetails(fixture("ip-s-d-link-veth-down.txt"));
    expect(ring1).toEqual({
      ifname: "ring1",
      master: null,
      operstate: "DOWN",
      adminUp: false,
      carrier: false,
      mtu: 1500,
      kind: "veth",
      slaveKind: null,
      lowerDev: null,
      rxDropped: 0,
      rxErrors: 0,
      txDropped: 0,
      txErrors: 0,
    });
  });

  it("NO-CARRIER with UP is up but without carrier", () => {
    const text = JSON.stringify([
      { ifname: "eno3", flags: ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"], mtu: 1500, operstate: "DOWN" },
    ]);
    expect(parseIpLinkDetails(text)[0]).toMatchObject({ adminUp: true, carrier: false });
  });

  it("follows bridge → bond → NICs and a VLAN to its parent; physical ends are the NICs", () => {
    const links = parseIpLinkDetails(
      JSON.stringify([
        {
          ifname: "eno2",
          master: "bond0",
          flags: ["UP", "LOWER_UP"],
          mtu: 9000,
          linkinfo: { info_slave_kind: "bond" },
        },
        {
          ifname: "eno3",
          master: "bond0",
          flags: ["UP", "LOWER_UP"],
          mtu: 9000,
          linkinfo: { info_slave_kind: "bond" },
        },
        {
          ifname: "bond0",
          master: "vmbr1",
          flags: ["UP", "LOWER_UP"],
          mtu: 9000,
          linkinfo: { info_kind: "bond" },
        },
        { ifname: "vmbr1", flags: ["UP", "LOWER_UP"], mtu: 9000, linkinfo: { info_kind: "bridge" } },
        {
          ifname: "vmbr1.20",
          link: "vmbr1",
          flags: ["UP", "LOWER_UP"],
          mtu: 1500,
          linkinfo: { info_kind: "vlan" },
        },
      ]),
    );
    expect(lowerChain(links, "vmbr1.20").map((l) => l.ifname)).toEqual([
      "vmbr1.20",
      "vmbr1",
      "bond0",
      "eno2",
      "eno3",
    ]);
    expect(physicalEnds(links, "vmbr1.20")).toEqual(["eno2", "eno3"]);
    expect(physicalEnds(links, "eno2")).toEqual(["eno2"]);
  });

  it("refuses text that is not iproute2 JSON", () => {
    expect(() => parseIpLinkDetails("2: eno1: <BROADCAST>")).toThrow(ParseError);
  });
});

describe("parsePing (iputils 20221126)", () => {
  it("a DF ping that fits", () => {
    expect(parsePing(fixture("ping-df-ok.txt"))).toEqual({
      transmitted: 3,
      received: 3,
      errors: 0,
      lossPercent: 0,
      rttAvgMs: 0.08,
      localMtu: null,
      pathMtu: null,
      reportedMtu: null,
      hostUnreachable: false,
    });
  });

  it("a DF ping lost on the way (the receiver's MTU is lower)", () => {
    expect(parsePing(fixture("ping-df-lost.txt"))).toMatchObject({
      received: 0,
      lossPercent: 100,
      reportedMtu: null,
    });
  });

  it("a DF ping the sender refuses: errors and the local MTU from stderr", () => {
    const r = parsePing(fixture("ping-df-local-mtu.txt"), fixture("ping-df-local-mtu.stderr.txt"));
    expect(r).toMatchObject({ transmitted: 2, received: 0, errors: 2, lossPercent: 100, reportedMtu: 1400 });
  });

  it("the same refused DF ping with -q: no error line, no error count, only loss (why the sweep omits -q)", () => {
    // Captured from iputils 20221126 in a network namespace whose veth has MTU 1400.
    expect(fixture("ping-df-local-mtu-quiet.stderr.txt")).toBe("");
    const r = parsePing(
      fixture("ping-df-local-mtu-quiet.txt"),
      fixture("ping-df-local-mtu-quiet.stderr.txt"),
    );
    expect(r).toMatchObject({ transmitted: 2, received: 0, errors: 0, lossPercent: 100, reportedMtu: null });
  });

  it("no summary (an address that is not local): a ParseError with ping's words", () => {
    expect(() => parsePing("", "ping: bind: Cannot assign requested address\n")).toThrow(/Cannot assign/);
  });
});

describe("knetLinkStats (`corosync-cmapctl -m stats stats.knet.`)", () => {
  it("reads per peer and link the state, latency, down count and errors", () => {
    const stats = knetLinkStats(parseCorosyncCmapctl(fixture("corosync-cmapctl-stats-knet-3.1.7.txt")));
    expect(stats).toEqual([
      {
        nodeId: 2,
        link: 0,
        enabled: true,
        connected: true,
        latencyAveUs: 149,
        latencyMaxUs: 172,
        downCount: 1,
        upCount: 1,
        mtu: 1397,
        txErrors: 0,
        rxRetries: 0,
      },
      {
        nodeId: 2,
        link: 1,
        enabled: true,
        connected: true,
        latencyAveUs: 160,
        latencyMaxUs: 200,
        downCount: 1,
        upCount: null,
        mtu: 1397,
        txErrors: null,
        rxRetries: 1,
      },
    ]);
  });
});

describe("parseSoftnetStat", () => {
  it("sums the processed, dropped and time_squeeze columns over the CPUs", () => {
    expect(parseSoftnetStat(fixture("softnet-stat-2cpu.txt"))).toEqual({
      cpus: 2,
      processed: 0x530c3 + 0xba0a9,
      dropped: 0,
      timeSqueeze: 1,
    });
    expect(() => parseSoftnetStat("cpu0 12 0")).toThrow(ParseError);
  });
});

describe("clock", () => {
  const chrony = `Reference ID    : CB00710F (ntp1.example.net)
Stratum         : 3
Ref time (UTC)  : Fri Jan 27 09:49:17 2017
System time     : 0.000006523 seconds slow of NTP time
Last offset     : -0.000006747 seconds
RMS offset      : 0.000035822 seconds
Frequency       : 3.225 ppm slow
Residual freq   : -0.000 ppm
Skew            : 0.129 ppm
Root delay      : 0.013639022 seconds
Root dispersion : 0.001100737 seconds
Update interval : 64.2 seconds
Leap status     : Normal
`;

  it("chronyc tracking: synchronised, the offset signed (slow = negative)", () => {
    expect(parseChronycTracking(chrony)).toEqual({
      source: "chrony",
      synchronised: true,
      offsetSeconds: -0.000006523,
      status: "Normal",
    });
    expect(parseChronycTracking(chrony.replace("Normal", "Not synchronised")).synchronised).toBe(false);
  });

  it("timedatectl show: NTPSynchronized", () => {
    expect(parseTimedatectlShow("Timezone=UTC\nNTP=yes\nNTPSynchronized=no\n")).toMatchObject({
      synchronised: false,
    });
    expect(() => parseTimedatectlShow("Failed to connect to bus: Host is down")).toThrow(ParseError);
  });

  it("falls back from chronyc to timedatectl, and to null when neither answers", async () => {
    const ctx = (answers: Record<string, { stdout: string; exitCode: number }>) =>
      ({
        run: async (_node: string, command: string) => {
          const key = Object.keys(answers).find((k) => command.endsWith(k));
          const a = key ? answers[key]! : { stdout: "", exitCode: 127 };
          return { ...a, stderr: "", command, node: "pve1", durationMs: 1, timedOut: false };
        },
      }) as never;
    expect(
      await clockFacts(ctx({ "timedatectl show": { stdout: "NTPSynchronized=yes\n", exitCode: 0 } }), "pve1"),
    ).toMatchObject({ source: "timedatectl", synchronised: true });
    expect(await clockFacts(ctx({}), "pve1")).toBeNull();
  });
});

describe("firewall rules that drop corosync's UDP", () => {
  it("nft: a port, a range, interface and address selectors", () => {
    expect(nftCorosyncDrops(fixture("nft-ruleset-corosync-drop.txt"))).toEqual([
      {
        source: "nft",
        chain: "inet filter input",
        rule: 'iifname "br9" udp dport 5405 drop',
        interfaces: ["br9"],
        addresses: [],
      },
      {
        source: "nft",
        chain: "inet filter input",
        rule: "ip saddr 10.77.0.0/24 udp dport 5405-5412 counter packets 0 bytes 0 reject with icmp port-unreachable",
        interfaces: [],
        addresses: ["10.77.0.0/24"],
      },
    ]);
  });

  it("nft: sets, and rules that do not touch corosync are left alone", () => {
    const ruleset = `table ip t {\n\tchain c {\n\t\tudp dport { 53, 5406 } drop\n\t\ttcp dport 5405 drop\n\t\tudp dport 5405 accept\n\t\tudp dport 8006 drop\n\t}\n}\n`;
    expect(nftCorosyncDrops(ruleset).map((r) => r.rule)).toEqual(["udp dport { 53, 5406 } drop"]);
  });

  it("iptables-save (iptables/iptables-save.c rule lines): --dport, port ranges, multiport", () => {
    const save = [
      "# Generated by iptables-save v1.8.9 (nf_tables) on Sat Dec  5 03:18:41 2026",
      "*filter",
      ":INPUT ACCEPT [0:0]",
      "-A INPUT -i ring0 -p udp -m udp --dport 5405 -j DROP",
      "-A INPUT -s 10.10.11.0/24 -p udp -m udp --dport 5400:5410 -j REJECT --reject-with icmp-port-unreachable",
      "-A INPUT -p udp -m multiport --dports 53,5412 -j DROP",
      "-A INPUT -p udp -m udp --dport 5405 -j ACCEPT",
      "-A INPUT -p tcp -m tcp --dport 5405 -j DROP",
      "COMMIT",
    ].join("\n");
    expect(iptablesCorosyncDrops(save).map((r) => [r.chain, r.interfaces, r.addresses])).toEqual([
      ["filter INPUT", ["ring0"], []],
      ["filter INPUT", [], ["10.10.11.0/24"]],
      ["filter INPUT", [], []],
    ]);
  });
});

describe("corosyncJournalEvents", () => {
  it("reads corosync's log file lines with their times (no year in them: the caller's)", () => {
    const events = corosyncJournalEvents(fixture("corosync-logfile-3.1.7-link1-down.txt"), 2026);
    const down = events.filter((e) => e.kind === "link-down");
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ host: 3, link: 1, pid: 67, at: Date.UTC(2026, 11, 5, 3, 18, 40) });
    expect(events.map((e) => e.kind)).toContain("membership");
  });

  it("reads journalctl -o short-iso lines in both zone spellings", () => {
    const text = [
      "2026-03-11T14:02:07+0000 pve1 corosync[1187]:   [KNET  ] link: host: 3 link: 1 is down",
      "2026-03-11T14:02:09+00:00 pve1 corosync[1187]:   [TOTEM ] A processor failed, forming new configuration: token timed out (3650ms), waiting 4380ms for consensus.",
    ].join("\n");
    expect(corosyncJournalEvents(text, 1999).map((e) => [e.kind, e.at])).toEqual([
      ["link-down", Date.UTC(2026, 2, 11, 14, 2, 7)],
      ["token-lost", Date.UTC(2026, 2, 11, 14, 2, 9)],
    ]);
  });

  it("knows journald's answers for nothing", () => {
    expect(journalEmpty("No journal files were found.\n-- No entries --\n")).toBe(true);
    expect(journalEmpty(fixture("corosync-logfile-3.1.7-link1-down.txt"))).toBe(false);
  });
});
