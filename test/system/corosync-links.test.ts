/**
 * corosync-links against real corosync 3 with two knet links (scripts/testbed/netns-up.sh --links 2:
 * link 0 on `ring0` 10.10.10.0/24, link 1 on `ring1` 10.10.11.0/24) on three nodes in network
 * namespaces, over real SSH; real corosync-cfgtool, corosync-cmapctl, ip, ping and nft answer.
 * Link 1 cut on node3 only, UDP dropped by nftables on node2's link 0, and a lower MTU on node3's
 * link 1: each time the diagnosis names the link, the node and the cause. Run it alone:
 * `flock /tmp/pvefix-netns.lock npx vitest run --project system test/system/corosync-links.test.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import corosyncLinks from "../../runbooks/corosync-links.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { Finding } from "../../src/engine/model.js";
import { planOnly } from "../../src/engine/session.js";
import { SshTransport } from "../../src/transport/ssh/index.js";
import { type CorosyncCluster, startCorosyncCluster } from "./netns/cluster.js";
import { quorumOf, until } from "./netns/quorum.js";

let bed: CorosyncCluster;
let work: string;
let transport: SshTransport;

function target() {
  return {
    transport,
    nodes: bed.inventory.nodes.map((n) => n.name),
    cluster: bed.inventory.cluster,
    stateDir: join(work, "state"),
  };
}

/** The state `corosync-cfgtool -s` on `node` prints for `peer` (node id) on `link`. */
async function linkState(node: string, link: number, peer: number): Promise<string> {
  const { stdout } = await bed.inNode(node, ["corosync-cfgtool", "-s"]);
  const block = stdout.split(/^LINK ID /m).find((b) => b.startsWith(`${link} `)) ?? "";
  return new RegExp(`nodeid:\\s+${peer}:\\s+(\\S+)`).exec(block)?.[1] ?? "(absent)";
}

/** Every one of `nodes` shows `peer` disconnected on `link`: knet noticed the cut on both sides. */
async function seenDown(nodes: readonly string[], link: number, peer: number): Promise<boolean> {
  const states = await Promise.all(nodes.map((n) => linkState(n, link, peer)));
  return states.every((s) => s === "disconnected");
}

const everyLinkConnected = async () => {
  for (const [node, peers] of [
    ["node1", [2, 3]],
    ["node2", [1, 3]],
    ["node3", [1, 2]],
  ] as const)
    for (const link of [0, 1])
      for (const peer of peers) if ((await linkState(node, link, peer)) !== "connected") return false;
  return true;
};

/** `test` held on `times` checks in a row: knet brings a link up on one packet and down again a timeout later. */
function steadily(test: () => Promise<boolean>, times = 8): () => Promise<boolean> {
  let row = 0;
  return async () => {
    row = (await test()) ? row + 1 : 0;
    return row >= times;
  };
}

const sweep = async (): Promise<Finding[]> => diagnose({ ...target(), runbooks: [corosyncLinks] });
const rows = (findings: Finding[]) => findings.map((f) => `[${f.severity}] ${f.node ?? "-"}: ${f.summary}`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-links-"));
  bed = await startCorosyncCluster({ nodes: 3, links: 2, stateDir: join(work, "bed") });
  console.info(`netns bed: 3 nodes with 2 knet links up and quorate in ${Math.round(bed.upMs)} ms`);
  transport = new SshTransport({ inventory: bed.inventory, sshConfigPath: null, agentSocket: null });
  await until("every knet link connected, steadily", steadily(everyLinkConnected));
});

afterAll(async () => {
  await transport?.close();
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("corosync-links on real corosync with two knet links", () => {
  it("finds nothing on the healthy bed, every link connected and pinged", async () => {
    const started = performance.now();
    const findings = await sweep();
    console.info(`corosync-links: healthy sweep in ${Math.round(performance.now() - started)} ms`);
    expect(rows(findings)).toEqual([]);
  });

  it("names link 1 and node3 when only node3's link 1 is cut, and quorum holds", async () => {
    await bed.cutLinks("node3", [1]);
    try {
      await until("node1 and node2 see node3 disconnected on link 1", () =>
        seenDown(["node1", "node2"], 1, 3),
      );
      expect(await linkState("node1", 0, 3)).toBe("connected");
      const quorum = await quorumOf(bed, "node1");
      expect(quorum).toEqual({ code: 0, members: [1, 2, 3] });
      const findings = await sweep();
      const down = findings.filter((f) => /link 1 of node3 is down/.test(f.summary));
      expect(down, rows(findings).join("\n")).toHaveLength(1);
      expect(down[0]).toMatchObject({ runbook: "corosync-links", severity: "warning", node: "node3" });
      // The cause on node3 itself: the interface under ring1_addr is down, seen by both peers.
      expect(down[0]!.summary).toMatch(/node1, node2 see it disconnected/);
      expect(down[0]!.summary).toMatch(/ring1 is administratively down/);
      expect(down[0]!.command).toBe("ip -d link show dev ring1");
      expect(findings.filter((f) => f.severity === "critical")).toEqual([]);
      // `plan` reports the same and changes nothing.
      const planned = await planOnly({ ...target(), runbook: corosyncLinks, rawParams: { node: "node3" } });
      expect(planned.kind).toBe("nothing-to-do");
      if (planned.kind === "nothing-to-do") expect(planned.reason).toMatch(/link 1 of node3 is down/);
    } finally {
      await bed.restoreLinks("node3", [1]);
    }
    await until("every knet link connected again, steadily", steadily(everyLinkConnected));
  });

  it("names the nftables rule on node2 when it drops corosync's UDP on link 0", async () => {
    const nft = (args: string[]) => bed.inNode("node2", ["nft", ...args]);
    await nft(["add", "table", "inet", "pvefix"]);
    await nft([
      "add",
      "chain",
      "inet",
      "pvefix",
      "input",
      "{ type filter hook input priority 0; policy accept; }",
    ]);
    const added = await nft([
      "add",
      "rule",
      "inet",
      "pvefix",
      "input",
      "iifname",
      "ring0",
      "udp",
      "dport",
      "5405",
      "drop",
    ]);
    expect(added.code, added.stderr).toBe(0);
    try {
      await until("node1 and node3 see node2 disconnected on link 0", () =>
        seenDown(["node1", "node3"], 0, 2),
      );
      expect(await linkState("node1", 1, 2)).toBe("connected");
      const findings = await sweep();
      const down = findings.filter((f) => /link 0 of node2 is down/.test(f.summary));
      expect(down, rows(findings).join("\n")).toHaveLength(1);
      expect(down[0]).toMatchObject({ severity: "warning", node: "node2", command: "nft -a list ruleset" });
      expect(down[0]!.summary).toContain(
        'a firewall rule on node2 drops corosync\'s UDP: `iifname "ring0" udp dport 5405 drop`',
      );
      // ICMP still passes: the network is up, only corosync's UDP is dropped.
      expect(down[0]!.summary).toMatch(/pings over it pass/);
    } finally {
      await nft(["delete", "table", "inet", "pvefix"]);
    }
    await until("every knet link connected again, steadily", steadily(everyLinkConnected));
  });

  it("names the MTU when node3's link 1 interface has a lower MTU than its peers", async () => {
    await bed.inNode("node3", ["ip", "link", "set", "ring1", "mtu", "1400"]);
    try {
      const findings = await sweep();
      const mtu = findings.filter((f) => /MTU mismatch on corosync link 1/.test(f.summary));
      expect(mtu, rows(findings).join("\n")).toHaveLength(1);
      expect(mtu[0]).toMatchObject({ severity: "warning", node: "node3" });
      expect(mtu[0]!.summary).toMatch(/node3 ring1 has MTU 1400/);
      // The real DF ping proves it: 1472 bytes from node1 do not reach node3, 56 bytes do.
      expect(mtu[0]!.summary).toMatch(/10\.10\.11\.1 → 10\.10\.11\.3 1472 bytes lost, 56 bytes pass/);
      expect(mtu[0]!.command).toMatch(/^ping -M do -s 1472 -c 3 -I 10\.10\.11\.\d 10\.10\.11\.3$/);
    } finally {
      await bed.inNode("node3", ["ip", "link", "set", "ring1", "mtu", "1500"]);
    }
  });
});
