/**
 * cluster-network against real corosync 3 (knet, secauth) on three nodes in network namespaces
 * (scripts/testbed/netns-up.sh --links spare: link 0 on 10.10.10.0/24, a second network
 * 10.10.11.0/24 on `ring1` that corosync does not use yet). The run adds link 1 to the running
 * cluster: pmxcfs' copy and `corosync-cfgtool -R` load it live, and the real `corosync-cfgtool -s`
 * shows it connected everywhere; with link 0 cut on one node the cluster keeps its quorum; undo
 * puts the link-0-only config back with a higher config_version; a move (`--replace 0`) ends on link 1
 * alone, which keeps the quorum with every ring0 interface down.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import clusterNetwork from "../../runbooks/cluster-network.js";
import { planOnly, runRunbook, undoRun } from "../../src/engine/session.js";
import { parseCorosyncCfgtool } from "../../src/pve/parsers/corosync-cfgtool.js";
import { SshTransport } from "../../src/transport/ssh/index.js";
import { type CorosyncCluster, startCorosyncCluster } from "./netns/cluster.js";
import { operator, quorumOf, until } from "./netns/quorum.js";

let bed: CorosyncCluster;
let work: string;
let transport: SshTransport;
let runId: string;

const PARAMS = { link: 1, cidr: "10.10.11.0/24" };

function target() {
  return {
    transport,
    nodes: bed.inventory.nodes.map((n) => n.name),
    cluster: bed.inventory.cluster,
    stateDir: join(work, "state"),
  };
}

/** The real `corosync-cfgtool -s` of a node: link id → the states of its peer rows. */
async function linkStates(node: string): Promise<Record<number, string[]>> {
  const { stdout } = await bed.inNode(node, ["corosync-cfgtool", "-s"]);
  const status = parseCorosyncCfgtool(stdout);
  return Object.fromEntries(
    status.links.map((l) => [l.linkId, l.nodes.filter((n) => n.status !== "localhost").map((n) => n.status)]),
  );
}

async function runningVersion(node: string): Promise<string> {
  const r = await bed.inNode(node, ["corosync-cmapctl", "-g", "totem.config_version"]);
  return r.stdout.trim().split(" = ")[1] ?? `(${r.stderr.trim()})`;
}

const allQuorate = async () => {
  const views = await Promise.all(bed.nodes.map((n) => quorumOf(bed, n.name)));
  return views.every((v) => v.code === 0 && v.members.length === 3);
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-cluster-network-"));
  bed = await startCorosyncCluster({ nodes: 3, stateDir: join(work, "bed"), links: "spare" });
  transport = new SshTransport({ inventory: bed.inventory, sshConfigPath: null, agentSocket: null });
  await until("3 nodes quorate", allQuorate);
});

afterAll(async () => {
  await transport?.close();
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("cluster-network on real corosync", () => {
  it("plans link 1 on ring1 after DF pings between every pair of nodes", async () => {
    expect(bed.nodes.map((n) => n.ring1Ip)).toEqual(["10.10.11.1", "10.10.11.2", "10.10.11.3"]);
    const plan = await planOnly({ ...target(), runbook: clusterNetwork, rawParams: PARAMS });
    expect(plan.kind).toBe("plan");
    const p = plan.kind === "plan" ? plan.plan : null;
    expect(p?.steps.map((step) => step.id)).toEqual([
      "backup-corosync-conf-node1",
      "backup-corosync-conf-node2",
      "backup-corosync-conf-node3",
      "add-link-1",
    ]);
    expect(p?.steps[0]?.warning).toContain(
      "6 DF pings between every pair of nodes (1500-byte packets) got replies",
    );
  }, 60_000);

  it("adds link 1 to the running cluster: every node runs version 2 and sees link 1 connected to both peers", async () => {
    const run = await runRunbook({
      ...target(),
      runbook: clusterNetwork,
      rawParams: PARAMS,
      mode: "interactive",
      gate: operator,
    });
    expect(run.error).toBeUndefined();
    expect(run.outcome).toBe("done");
    runId = run.runId!;
    for (const node of bed.nodes) {
      expect(await runningVersion(node.name)).toBe("2");
      expect(await linkStates(node.name)).toEqual({
        0: ["connected", "connected"],
        1: ["connected", "connected"],
      });
      const local = (await bed.inNode(node.name, ["cat", "/etc/corosync/corosync.conf"])).stdout;
      expect(local).toContain(`ring1_addr: ${node.ring1Ip}`);
    }
  }, 120_000);

  it("keeps the quorum when link 0 is cut on node3: link 1 carries it", async () => {
    await bed.cutLinks("node3", [0]);
    try {
      await until(
        "node1 sees link 0 to node3 down",
        async () => (await linkStates("node1"))[0]?.includes("disconnected") ?? false,
      );
      // Longer than the token (1000 ms) and consensus: a lost membership would show by now.
      await new Promise((done) => setTimeout(done, 5_000));
      expect(await allQuorate()).toBe(true);
      expect(await linkStates("node1")).toEqual({
        0: ["connected", "disconnected"],
        1: ["connected", "connected"],
      });
    } finally {
      await bed.restoreLinks("node3", [0]);
    }
    await until(
      "link 0 back on node1",
      async () => (await linkStates("node1"))[0]?.every((s) => s === "connected") ?? false,
    );
  }, 120_000);

  it("undo writes the link-0-only config back (version 3) and corosync drops link 1 everywhere", async () => {
    const undo = await undoRun({
      ...target(),
      runId,
      runbookFor: () => clusterNetwork,
      mode: "interactive",
      gate: operator,
    });
    expect(undo.error).toBeUndefined();
    expect(undo.outcome).toBe("undone");
    for (const node of bed.nodes) {
      await until(
        `${node.name} runs version 3`,
        async () => (await runningVersion(node.name)) === "3",
        30_000,
      );
      await until(`${node.name} without link 1`, async () => !("1" in (await linkStates(node.name))), 30_000);
      expect(await linkStates(node.name)).toEqual({ 0: ["connected", "connected"] });
    }
    expect(await allQuorate()).toBe(true);
  }, 120_000);

  it("moves corosync to ring1 (--replace 0): link 1 proven, then link 0 removed; quorum holds with every ring0 down", async () => {
    const run = await runRunbook({
      ...target(),
      runbook: clusterNetwork,
      rawParams: { ...PARAMS, replace: 0 },
      mode: "interactive",
      gate: operator,
    });
    expect(run.error).toBeUndefined();
    expect(run.outcome).toBe("done");
    for (const node of bed.nodes) {
      expect(await runningVersion(node.name)).toBe("5");
      expect(await linkStates(node.name)).toEqual({ 1: ["connected", "connected"] });
    }
    await Promise.all(bed.nodes.map((n) => bed.cutLinks(n.name, [0])));
    try {
      await new Promise((done) => setTimeout(done, 5_000));
      expect(await allQuorate()).toBe(true);
    } finally {
      await Promise.all(bed.nodes.map((n) => bed.restoreLinks(n.name, [0])));
    }
  }, 120_000);
});
