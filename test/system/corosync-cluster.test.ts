/**
 * Real corosync 3 (knet, secauth, votequorum, token 1000) on three nodes in network namespaces
 * (scripts/testbed/netns-up.sh), driven over real SSH: quorum loss and return when corosync links
 * are cut, restart-pve-services stopping and starting one node's real corosync, and
 * not-quorate-config under real quorum loss. Needs root, corosync, sshd, ip netns and nsenter:
 * run scripts/install-system-deps.sh first. The tests share one bed and run in order.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import notQuorateConfig from "../../runbooks/not-quorate-config.js";
import restartPveServices from "../../runbooks/restart-pve-services.js";
import type { Gate } from "../../src/engine/apply.js";
import { diagnose } from "../../src/engine/diagnose.js";
import { exitCodeFor, planOnly, runRunbook } from "../../src/engine/session.js";
import { parsePvecmStatus } from "../../src/pve/parsers/pvecm-status.js";
import { SshTransport } from "../../src/transport/ssh/index.js";
import { type CorosyncCluster, startCorosyncCluster } from "./netns/cluster.js";
import { operator, quorumOf as quorumIn, until } from "./netns/quorum.js";

let bed: CorosyncCluster;
let work: string;
let transport: SshTransport;

const noHuman: Gate = async (request) => ({
  approved: false,
  answer: `unattended: step ${request.step.id} is ${request.step.risk}`,
});

function target() {
  return {
    transport,
    nodes: bed.inventory.nodes.map((n) => n.name),
    cluster: bed.inventory.cluster,
    stateDir: join(work, "state"),
  };
}

const quorumOf = (node: string) => quorumIn(bed, node);

/** Peers that `corosync-cfgtool -s` inside the node shows connected on some link. */
async function peersConnected(node: string): Promise<number> {
  const { stdout } = await bed.inNode(node, ["corosync-cfgtool", "-s"]);
  return stdout.split("\n").filter((l) => /\bconnected\b/.test(l) && !/localhost/.test(l)).length;
}

const allQuorate = (n: number) => async () => {
  const views = await Promise.all(bed.nodes.map((node) => quorumOf(node.name)));
  return views.every((v) => v.code === 0 && v.members.length === n);
};

async function corosyncPid(node: string): Promise<string> {
  return (await bed.inNode(node, ["cat", "/run/corosync.pid"])).stdout.trim();
}

async function runtimeConfigVersion(node: string): Promise<string> {
  const r = await bed.inNode(node, ["corosync-cmapctl", "-g", "totem.config_version"]);
  return r.stdout.trim().split(" = ")[1] ?? `(${r.stderr.trim()})`;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-corosync-"));
  bed = await startCorosyncCluster({ nodes: 3, stateDir: join(work, "bed") });
  console.info(`netns bed: 3 nodes up and quorate in ${Math.round(bed.upMs)} ms`);
  transport = new SshTransport({ inventory: bed.inventory, sshConfigPath: null, agentSocket: null });
});

afterAll(async () => {
  await transport?.close();
  if (bed) {
    const started = performance.now();
    await bed.stop();
    console.info(`netns bed: down in ${Math.round(performance.now() - started)} ms`);
  }
  rmSync(work, { recursive: true, force: true });
});

describe("real corosync in network namespaces", () => {
  it("starts three quorate nodes whose `pvecm status` over SSH is Proxmox's layout", async () => {
    for (const node of ["node1", "node2", "node3"]) {
      const result = await transport.exec(node, "pvecm status");
      expect(result.exitCode).toBe(0);
      const status = parsePvecmStatus(result.stdout);
      expect(status.quorum.quorate).toBe(true);
      expect(status.members.map((m) => m.nodeId)).toEqual([1, 2, 3]);
      expect(result.stdout).toContain("Config Version:   1\n");
      expect(result.stdout).toMatch(
        new RegExp(`^0x0000000${node.at(-1)}\\s+1 10\\.10\\.10\\.\\d \\(local\\)$`, "m"),
      );
    }
  });

  it("loses quorum on node1 within 10 s when node2 and node3 lose their links, and regains it when they are back", async () => {
    await Promise.all([bed.cutLinks("node2"), bed.cutLinks("node3")]);
    const lostMs = await until("node1 not quorate", async () => {
      const r = await transport.exec("node1", "pvecm status");
      return r.exitCode === 2;
    });
    expect(lostMs).toBeLessThan(10_000);
    const status = await transport.exec("node1", "pvecm status");
    expect(status.stdout).toContain("Quorum:           2 Activity blocked\n");
    expect(parsePvecmStatus(status.stdout).members.map((m) => m.nodeId)).toEqual([1]);
    // SSH is on its own network: the nodes still answer.
    expect((await transport.exec("node3", "hostname")).stdout).toBe("node3\n");

    await Promise.all([bed.restoreLinks("node2"), bed.restoreLinks("node3")]);
    const regainedMs = await until(
      "node1 quorate",
      async () => (await transport.exec("node1", "pvecm status")).exitCode === 0,
    );
    await until("all three quorate with 3 members", allQuorate(3));
    console.info(`netns bed: quorum lost after ${lostMs} ms, regained after ${regainedMs} ms`);
  });
});

describe("restart-pve-services on real corosync", () => {
  it("stops and starts node2's real corosync while node1 and node3 keep quorum", async () => {
    await bed.inNode("node2", ["sh", "-c", "echo failed > /run/pvefix-bed/units/pvestatd"]);
    const before = await corosyncPid("node2");
    let watching = true;
    const node1Lost: number[] = [];
    const watch = (async () => {
      while (watching) {
        if ((await quorumOf("node1")).code !== 0) node1Lost.push(Date.now());
        await new Promise((done) => setTimeout(done, 200));
      }
    })();
    const result = await runRunbook({
      ...target(),
      runbook: restartPveServices,
      rawParams: { node: "node2" },
      mode: "interactive",
      gate: operator,
    });
    watching = false;
    await watch;
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => s.status)).not.toContain("failed");
    const after = await corosyncPid("node2");
    expect(after).toMatch(/^\d+$/);
    expect(after).not.toBe(before);
    expect(node1Lost).toEqual([]);
    expect((await transport.exec("node2", "systemctl is-active pvestatd")).stdout).toBe("active\n");
    await until("node2 back among 3 members", allQuorate(3));
  });

  it("refuses to restart node2 when the cluster would lose quorum without it", async () => {
    await bed.cutLinks("node3");
    await until("node1 and node2 alone", async () => (await quorumOf("node1")).members.length === 2);
    await bed.inNode("node2", ["sh", "-c", "echo failed > /run/pvefix-bed/units/pvestatd"]);
    const before = await corosyncPid("node2");
    try {
      const result = await runRunbook({
        ...target(),
        runbook: restartPveServices,
        rawParams: { node: "node2" },
        mode: "interactive",
        gate: operator,
      });
      expect(result.outcome).toBe("refused");
      expect(result.refusal?.code).toBe("quorum-at-risk");
      expect(exitCodeFor(result.outcome)).toBe(3);
      expect(await corosyncPid("node2")).toBe(before);
    } finally {
      await bed.inNode("node2", ["sh", "-c", "echo active > /run/pvefix-bed/units/pvestatd"]);
      await bed.restoreLinks("node3");
      await until("all three quorate again", allQuorate(3));
    }
  });
});

describe("not-quorate-config on real quorum loss", () => {
  let fixed: string;

  beforeAll(async () => {
    const current = (await transport.exec("node1", "cat /etc/pve/corosync.conf")).stdout;
    // The fix an operator brings: Proxmox 9.1's token_coefficient (pvefix bumps config_version).
    fixed = join(work, "corosync.conf.fixed");
    writeFileSync(fixed, current.replace("  token: 1000\n", "  token: 1000\n  token_coefficient: 125\n"));
  });

  it("refuses a split brain: node1 alone while node2 and node3 are quorate together", async () => {
    await bed.cutLinks("node1");
    try {
      await until("node2 and node3 quorate without node1", async () => {
        const [one, two] = await Promise.all([quorumOf("node1"), quorumOf("node2")]);
        return one.code === 2 && two.code === 0 && two.members.length === 2;
      });
      const planned = await planOnly({
        ...target(),
        runbook: notQuorateConfig,
        rawParams: { node: "node1", file: fixed },
      });
      expect(planned.kind).toBe("refusal");
      if (planned.kind === "refusal") {
        expect(planned.refusal.code).toBe("split-brain-risk");
        expect(planned.refusal.message).toContain("node2, node3 are quorate without node1");
      }
    } finally {
      await bed.restoreLinks("node1");
      await until("all three quorate again", allQuorate(3));
    }
  });

  it("needs a human when run unattended, and changes nothing", async () => {
    await Promise.all([bed.cutLinks("node2"), bed.cutLinks("node3")]);
    await until("every node alone", async () => {
      const views = await Promise.all(bed.nodes.map((n) => quorumOf(n.name)));
      return views.every((v) => v.code === 2 && v.members.length === 1);
    });
    const before = (await transport.exec("node1", "sha256sum /etc/pve/corosync.conf")).stdout;
    const result = await runRunbook({
      ...target(),
      runbook: notQuorateConfig,
      rawParams: { node: "node1", file: fixed },
      mode: "unattended",
      gate: noHuman,
    });
    expect(result.outcome).toBe("needs-human");
    expect(exitCodeFor(result.outcome)).toBe(4);
    expect(result.plan?.steps[0]).toMatchObject({ id: "lower-expected-votes-node1", risk: "dangerous" });
    expect((await transport.exec("node1", "sha256sum /etc/pve/corosync.conf")).stdout).toBe(before);
    expect((await quorumOf("node1")).code).toBe(2);
  });

  it("with its gates approved forces quorum with `pvecm expected 1`, writes the file and restores expected votes", async () => {
    const result = await runRunbook({
      ...target(),
      runbook: notQuorateConfig,
      rawParams: { node: "node1", file: fixed },
      mode: "interactive",
      gate: operator,
    });
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe("done");
    const ids = result.steps.map((s) => s.id);
    expect(ids[0]).toBe("lower-expected-votes-node1");
    expect(result.plan?.steps[0]?.actions).toEqual([
      expect.objectContaining({ command: "pvecm expected 1" }),
    ]);
    expect(ids.at(-1)).toBe("restore-expected-votes-node1");
    expect(result.steps.every((s) => s.status === "done")).toBe(true);

    const pve = (await transport.exec("node1", "cat /etc/pve/corosync.conf")).stdout;
    expect(pve).toContain("  config_version: 2\n");
    expect(pve).toContain("  token_coefficient: 125\n");
    for (const node of ["node1", "node2", "node3"]) {
      expect((await transport.exec(node, "cat /etc/corosync/corosync.conf")).stdout).toBe(pve);
    }
    // corosync restarted on node1 (it may still be starting): expected votes are the configured 3
    // again, so node1 alone is not quorate.
    await until("node1's new corosync answers", async () => (await quorumOf("node1")).code === 2, 10_000);
    const status = await transport.exec("node1", "pvecm status");
    expect(status.exitCode).toBe(2);
    expect(status.stdout).toContain("Expected votes:   3\n");
    expect(await runtimeConfigVersion("node1")).toBe("2");
  });

  it("is quorate on every node with the new config_version once the others restart corosync and links are back", async () => {
    // What the plan tells the operator: the other nodes' corosync reads the new file when it restarts.
    for (const node of ["node2", "node3"]) {
      expect((await transport.exec(node, "systemctl restart corosync")).exitCode).toBe(0);
    }
    await Promise.all([bed.restoreLinks("node2"), bed.restoreLinks("node3")]);
    const ms = await until("all three quorate with 3 members", allQuorate(3), 60_000);
    console.info(`netns bed: quorate on 3 nodes with config_version 2 after ${ms} ms`);
    for (const node of ["node1", "node2", "node3"]) {
      expect(await runtimeConfigVersion(node)).toBe("2");
      expect((await transport.exec(node, "pvecm status")).stdout).toContain("Config Version:   2\n");
    }
  });
});

describe("diagnose on a half-broken real corosync cluster", () => {
  const STANDINS = fileURLToPath(new URL("./standins/corosync/", import.meta.url));
  const runbooks = [notQuorateConfig, restartPveServices];
  /** What diagnose must not change: every corosync's pid and running version, every node's corosync.conf. */
  const snapshot = async () =>
    Promise.all(
      bed.nodes.map(async (n) => [
        n.name,
        await corosyncPid(n.name),
        await runtimeConfigVersion(n.name),
        (await bed.inNode(n.name, ["sha256sum", "/etc/corosync/corosync.conf", "/etc/pve/corosync.conf"]))
          .stdout,
      ]),
    );

  it("names node3 whose corosync was stopped, with its start as the fix, and nothing else; the start quorates it", async () => {
    await bed.inNode("node3", [`${STANDINS}systemctl`, "stop", "corosync"]);
    await until("node1 and node2 quorate without node3", async () => {
      const [one, three] = await Promise.all([quorumOf("node1"), quorumOf("node3")]);
      return one.code === 0 && one.members.length === 2 && three.code === 1;
    });
    const before = await snapshot();
    const started = performance.now();
    const findings = await diagnose({ ...target(), runbooks });
    const ms = Math.round(performance.now() - started);
    // One finding, on node3; the healthy nodes have none, and no node is sent to force quorum.
    expect(findings.map((f) => [f.runbook, f.severity, f.node, f.summary, f.command])).toEqual([
      [
        "restart-pve-services",
        "critical",
        "node3",
        "PVE services on node3 are not healthy: corosync is inactive",
        "pvefix run restart-pve-services --node node3 --services corosync",
      ],
    ]);
    expect(ms).toBeLessThan(30_000);
    expect(await snapshot()).toEqual(before);

    const result = await runRunbook({
      ...target(),
      runbook: restartPveServices,
      rawParams: { node: "node3", services: "corosync" },
      mode: "interactive",
      gate: operator,
    });
    expect(result.error).toBeUndefined();
    expect(exitCodeFor(result.outcome)).toBe(0);
    expect(result.steps.map((s) => s.id)).toEqual(["start-corosync-node3"]);
    await until("all three quorate again", allQuorate(3));
    // node1's and node2's corosync were not touched.
    expect((await snapshot()).slice(0, 2)).toEqual(before.slice(0, 2));
    expect(await diagnose({ ...target(), runbooks })).toEqual([]);
    console.info(`netns bed: diagnose with corosync stopped on node3 took ${ms} ms`);
  });

  it("names node1 cut off from the quorate node2 and node3 as a network problem, with its link evidence", async () => {
    await bed.cutLinks("node1");
    try {
      // Both sides settled, node3 too: it was restarted by the test before and may still be joining.
      await until("node2 and node3 quorate without node1", async () => {
        const [one, two, three] = await Promise.all([
          quorumOf("node1"),
          quorumOf("node2"),
          quorumOf("node3"),
        ]);
        return (
          one.code === 2 &&
          [two, three].every((v) => v.code === 0 && v.members.length === 2) &&
          (await peersConnected("node1")) === 0
        );
      });
      const before = await snapshot();
      const findings = await diagnose({ ...target(), runbooks });
      expect(findings.map((f) => [f.runbook, f.severity, f.node, f.summary, f.command])).toEqual([
        [
          "not-quorate-config",
          "critical",
          "node1",
          "node1 is cut off from the quorate partition (node2, node3): `corosync-cfgtool -s` on node1 shows node2, node3 disconnected on every link. Repair its corosync network; forcing quorum on node1 would split the brain",
          "corosync-cfgtool -s  # on node1: every peer must show connected",
        ],
      ]);
      expect(await snapshot()).toEqual(before);
    } finally {
      await bed.restoreLinks("node1");
      await until("all three quorate again", allQuorate(3), 60_000);
    }
  });

  it("names node1 that rejoined running an older config than its files, with running and written versions", async () => {
    const current = (await transport.exec("node2", "cat /etc/pve/corosync.conf")).stdout;
    const version = Number(/config_version: (\d+)/.exec(current)?.[1]);
    const newer = join(work, "corosync.conf.token");
    writeFileSync(newer, current.replace("  token: 1000\n", "  token: 1200\n"));
    await bed.cutLinks("node1");
    try {
      await until("node2 and node3 quorate without node1", async () => {
        const [one, two] = await Promise.all([quorumOf("node1"), quorumOf("node2")]);
        return one.code === 2 && two.code === 0 && two.members.length === 2;
      });
      // The change made from the quorate side reaches node1's files over SSH, not its running corosync.
      const changed = await runRunbook({
        ...target(),
        runbook: notQuorateConfig,
        rawParams: { node: "node2", file: newer },
        mode: "interactive",
        gate: operator,
      });
      expect(changed.error).toBeUndefined();
      expect(changed.outcome).toBe("done");
      // pmxcfs reloads its partition a second after the write (`corosync-cfgtool -R`): let that pass
      // before node1 is back, or the reload reaches node1 too.
      await until(
        "node2 and node3 run the new version",
        async () => (await runtimeConfigVersion("node3")) === String(version + 1),
        10_000,
      );
    } finally {
      await bed.restoreLinks("node1");
    }
    await until("all three quorate again", allQuorate(3), 60_000);
    const next = version + 1;
    expect(await runtimeConfigVersion("node1")).toBe(String(version));
    expect(await runtimeConfigVersion("node2")).toBe(String(next));
    const before = await snapshot();
    const findings = await diagnose({ ...target(), runbooks });
    expect(findings.map((f) => [f.runbook, f.severity, f.node, f.summary, f.command])).toEqual([
      [
        "restart-pve-services",
        "warning",
        "node1",
        `PVE services on node1 are not healthy: corosync runs config_version ${version} (token 1000 ms) but /etc/corosync/corosync.conf and /etc/pve/corosync.conf have version ${next} (token 1200 ms): it has not loaded the written config`,
        "pvefix run restart-pve-services --node node1 --services corosync",
      ],
    ]);
    expect(await snapshot()).toEqual(before);

    const result = await runRunbook({
      ...target(),
      runbook: restartPveServices,
      rawParams: { node: "node1", services: "corosync" },
      mode: "interactive",
      gate: operator,
    });
    expect(result.error).toBeUndefined();
    expect(exitCodeFor(result.outcome)).toBe(0);
    await until("all three quorate again", allQuorate(3), 60_000);
    expect(await runtimeConfigVersion("node1")).toBe(String(next));
    expect(await diagnose({ ...target(), runbooks })).toEqual([]);
  });
});
