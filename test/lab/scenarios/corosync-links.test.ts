/**
 * The corosync-links scenarios: what the lab prints for the sweep's commands parses with the
 * real-output parsers, and the sweep over each scenario names the link, the node and the cause.
 */
import { afterAll, describe, expect, it } from "vitest";
import corosyncLinks from "../../../runbooks/corosync-links.js";
import { diagnose } from "../../../src/engine/diagnose.js";
import type { Finding } from "../../../src/engine/model.js";
import { LabTransport, resetLab } from "../../../src/lab/index.js";
import { parseChronycTracking } from "../../../src/pve/parsers/clock-sync.js";
import { parseCfgtoolNodes } from "../../../src/pve/parsers/corosync-cfgtool-nodes.js";
import { parseCorosyncCmapctl } from "../../../src/pve/parsers/corosync-cmapctl.js";
import { corosyncJournalEvents } from "../../../src/pve/parsers/corosync-journal.js";
import { nftCorosyncDrops } from "../../../src/pve/parsers/firewall-rules.js";
import { parseIpLinkDetails } from "../../../src/pve/parsers/ip-link-stats.js";
import { knetLinkStats } from "../../../src/pve/parsers/knet-stats.js";
import { parsePing } from "../../../src/pve/parsers/ping.js";
import { parseSoftnetStat } from "../../../src/pve/parsers/softnet-stat.js";
import { memoryLab, tempStateDir } from "../helpers.js";

describe("the lab's answers to the sweep's commands", () => {
  it("link 1 down on pve3: cfgtool -n, knet stats, the journal and the interfaces agree", () => {
    const lab = memoryLab("corosync-links");
    const n = parseCfgtoolNodes(lab.sh("pve1", "corosync-cfgtool -n").stdout);
    expect(n.nodes.find((x) => x.nodeId === 3)?.links.map((l) => [l.linkId, l.connected, l.mtu])).toEqual([
      [0, true, 1397],
      [1, false, 1397],
    ]);
    const stats = knetLinkStats(
      parseCorosyncCmapctl(lab.sh("pve1", "corosync-cmapctl -m stats stats.knet.").stdout),
    );
    expect(stats.filter((s) => !s.connected).map((s) => [s.nodeId, s.link, s.downCount])).toEqual([
      [3, 1, 2],
    ]);
    const journal = lab.sh("pve1", "journalctl -u corosync -o short-iso --no-pager -n 300").stdout;
    const events = corosyncJournalEvents(journal, 2026);
    expect(
      events.filter((e) => e.kind === "link-down").map((e) => ("host" in e ? [e.host, e.link] : [])),
    ).toEqual([[3, 1]]);
    expect(events.every((e) => e.at !== null)).toBe(true);
    const links = parseIpLinkDetails(lab.sh("pve3", "ip -s -d -j link show").stdout);
    expect(links.find((l) => l.ifname === "eno3")).toMatchObject({
      adminUp: true,
      carrier: false,
      master: "vmbr2",
    });
    expect(links.find((l) => l.ifname === "vmbr2")).toMatchObject({
      carrier: false,
      operstate: "DOWN",
      kind: "bridge",
    });
    expect(links.find((l) => l.ifname === "vmbr1")).toMatchObject({ carrier: true, operstate: "UP" });
  });

  it("ping follows the MTU model: DF too big for the peer is lost, too big for the sender errors", () => {
    const lab = memoryLab("corosync-links-mtu");
    const ping = (node: string, args: string) => {
      const r = lab.sh(node, `ping -n -q ${args}`);
      return { ...parsePing(r.stdout, r.stderr), exitCode: r.exitCode };
    };
    expect(ping("pve1", "-M do -s 1472 -c 3 -i 0.2 -W 1 -I 10.10.11.1 10.10.11.2")).toMatchObject({
      received: 3,
      exitCode: 0,
    });
    expect(ping("pve1", "-M do -s 1472 -c 3 -i 0.2 -W 1 -I 10.10.11.1 10.10.11.3")).toMatchObject({
      received: 0,
      errors: 0,
      exitCode: 1,
    });
    expect(ping("pve1", "-c 3 -i 0.2 -W 1 -I 10.10.11.1 10.10.11.3")).toMatchObject({ received: 3 });
    // iputils -q neither prints nor counts a local error (checked against iputils 20221126).
    expect(ping("pve3", "-M do -s 1472 -c 2 -W 1 -I 10.10.11.3 10.10.11.1")).toMatchObject({
      received: 0,
      errors: 0,
      reportedMtu: null,
      exitCode: 1,
    });
    const loud = lab.sh("pve3", "ping -n -M do -s 1472 -c 2 -W 1 -I 10.10.11.3 10.10.11.1");
    expect(loud.stdout).toMatch(
      /^PING 10\.10\.11\.1 \(10\.10\.11\.1\) from 10\.10\.11\.3 : 1472\(1500\) bytes of data\.\n/,
    );
    expect(parsePing(loud.stdout, loud.stderr)).toMatchObject({ received: 0, errors: 2, reportedMtu: 1400 });
    expect(ping("pve3", "-M do -s 1372 -c 2 -W 1 -I 10.10.11.3 10.10.11.1")).toMatchObject({ received: 2 });
  });

  it("prints the nft rule, a synchronised clock and softnet counters without drops", () => {
    const lab = memoryLab("corosync-links-firewall");
    expect(nftCorosyncDrops(lab.sh("pve2", "nft list ruleset").stdout).map((r) => r.interfaces)).toEqual([
      ["vmbr1"],
    ]);
    expect(lab.sh("pve1", "nft list ruleset")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(parseChronycTracking(lab.sh("pve1", "chronyc tracking").stdout).synchronised).toBe(true);
    expect(parseSoftnetStat(lab.sh("pve1", "cat /proc/net/softnet_stat").stdout)).toMatchObject({
      cpus: 4,
      dropped: 0,
    });
    // UDP is dropped, ICMP is not: ping over link 0 to pve2 still answers.
    expect(lab.sh("pve1", "ping -n -q -c 1 -I 10.10.10.1 10.10.10.2").exitCode).toBe(0);
    expect(lab.sh("pve1", "corosync-cfgtool -s").stdout).toContain(
      "LINK ID 0 udp\n\taddr\t= 10.10.10.1\n\tstatus:\n\t\tnodeid:          1:\tlocalhost\n\t\tnodeid:          2:\tdisconnected\n",
    );
  });
});

describe("the sweep over each scenario", () => {
  const state = tempStateDir();
  const transport = new LabTransport({ stateDir: state.dir });
  const sweep = async (scenario: string): Promise<Finding[]> => {
    await resetLab({ stateDir: state.dir, scenario });
    return diagnose({
      transport,
      nodes: ["pve1", "pve2", "pve3"],
      cluster: "lab",
      runbooks: [corosyncLinks],
    });
  };
  afterAll(() => state.cleanup());

  it("default (one healthy link): nothing", async () => {
    expect(await sweep("default")).toEqual([]);
  });

  it("corosync-links: link 1 of pve3, the NIC without carrier, quorum holding over link 0", async () => {
    const findings = await sweep("corosync-links");
    expect(findings.map((f) => [f.severity, f.node, f.command])).toEqual([
      ["warning", "pve3", "ip -d link show dev eno3"],
    ]);
    expect(findings[0]?.summary).toMatch(
      /^corosync link 1 of pve3 is down \(pve1, pve2 see it disconnected on it; quorum holds over link 0\)\. link 1 \(vmbr2, 10\.10\.11\.3\): eno3 \(under vmbr2\) has no carrier \(operstate DOWN\); pve1 logged it down first at /,
    );
    expect(findings[0]?.params).toEqual({ node: "pve3", links: [1] });
  });

  it("corosync-links-mtu: the MTU on pve3's link 1, with the DF ping evidence", async () => {
    const findings = await sweep("corosync-links-mtu");
    expect(findings.map((f) => [f.severity, f.node, f.params])).toEqual([
      ["warning", "pve3", { node: "pve3", links: [1], cause: "mtu" }],
    ]);
    expect(findings[0]?.summary).toContain("MTU mismatch on corosync link 1: pve3 vmbr2 has MTU 1400");
    expect(findings[0]?.summary).toContain("10.10.11.1 → 10.10.11.3 1472 bytes lost, 56 bytes pass");
    expect(findings[0]?.command).toBe("ping -M do -s 1472 -c 3 -I 10.10.11.1 10.10.11.3");
  });

  it("corosync-links-firewall: link 0 of pve2 and the nft rule that drops UDP 5405", async () => {
    const findings = await sweep("corosync-links-firewall");
    expect(findings.map((f) => [f.severity, f.node, f.command])).toEqual([
      ["warning", "pve2", "nft -a list ruleset"],
    ]);
    expect(findings[0]?.summary).toContain("corosync link 0 of pve2 is down");
    expect(findings[0]?.summary).toContain(
      'a firewall rule on pve2 drops corosync\'s UDP: `iifname "vmbr1" udp dport 5405 drop` (nft inet filter input)',
    );
    expect(findings[0]?.summary).toContain("pings over it pass");
  });

  it("corosync-links-fake-redundancy: both links on vmbr1 of every node, pointing to cluster-network", async () => {
    const findings = await sweep("corosync-links-fake-redundancy");
    expect(findings.map((f) => [f.node, f.params.runbook])).toEqual([
      ["pve1", "cluster-network"],
      ["pve2", "cluster-network"],
      ["pve3", "cluster-network"],
    ]);
    expect(findings[0]?.summary).toMatch(/^corosync links 0 and 1 of pve1 are not redundant: both on vmbr1;/);
    expect(findings.some((f) => /token/.test(f.summary))).toBe(false);
  });
});
