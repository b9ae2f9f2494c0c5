/**
 * A real QDevice: two real corosync nodes and a real corosync-qnetd in a third namespace
 * (scripts/testbed/netns-up.sh 2 + qnetd-up.sh). `pvefix run two-node-qdevice` sets it up through
 * the bed's `pvecm qdevice setup` stand-in, which does the real certificate exchange, so the real
 * corosync-qdevice joins the real qnetd; one node stops and the survivor stays quorate; qnetd
 * stops and diagnose says the tiebreaker is gone; undo removes the QDevice. Run under
 * `flock /tmp/pvefix-netns.lock`; the tests share one bed and run in order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import twoNodeQdevice from "../../runbooks/two-node-qdevice.js";
import { diagnoseCluster } from "../../src/engine/diagnose.js";
import { runRunbook, undoRun } from "../../src/engine/session.js";
import { SshTransport } from "../../src/transport/ssh/index.js";
import { type CorosyncCluster, startCorosyncCluster } from "./netns/cluster.js";
import { asNode, QNETD_IP, type QnetdHost, startQnetd } from "./netns/qnetd.js";
import { operator, until } from "./netns/quorum.js";

let bed: CorosyncCluster;
let qnetd: QnetdHost | undefined;
let work: string;
let transport: SshTransport;
let runId: string;

const target = () => ({
  transport,
  nodes: bed.inventory.nodes.map((n) => n.name),
  cluster: bed.inventory.cluster,
  stateDir: join(work, "state"),
});

/** corosync's own `corosync-quorumtool -s` inside the node. */
const quorumtool = async (node: string) => (await bed.inNode(node, ["corosync-quorumtool", "-s"])).stdout;

/** The runbook's findings; a detector that fails makes the test fail with its error. */
async function findings() {
  const diagnosis = await diagnoseCluster({ ...target(), runbooks: [twoNodeQdevice] });
  expect(diagnosis.failures).toEqual([]);
  return diagnosis.findings;
}

type Findings = Awaited<ReturnType<typeof findings>>;

/** Diagnose again until `done` holds; the last findings, or an error that quotes them. */
async function findingsUntil(what: string, done: (f: Findings) => boolean): Promise<Findings> {
  let last: Findings = [];
  const check = async () => {
    last = await findings();
    return done(last);
  };
  await until(what, check).catch((error: Error) => {
    throw new Error(
      `${error.message}; diagnose says: ${last.map((f) => f.summary).join(" / ") || "nothing"}`,
    );
  });
  return last;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-qdevice-"));
  bed = await startCorosyncCluster({ nodes: 2, stateDir: join(work, "bed") });
  qnetd = await startQnetd(bed);
  transport = new SshTransport({ inventory: bed.inventory, sshConfigPath: null, agentSocket: null });
}, 120_000);

afterAll(async () => {
  await transport?.close();
  await qnetd?.down();
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("a real QDevice in network namespaces", () => {
  it("diagnose names the two-node cluster without a QDevice", async () => {
    const found = await findings();
    expect(found.map((f) => [f.severity, f.command])).toEqual([
      ["warning", "pvefix plan two-node-qdevice --qnetd QNETD-IP"],
    ]);
  });

  it("pvefix run two-node-qdevice sets it up: the real qdevice on both nodes votes through the real qnetd", async () => {
    const result = await runRunbook({
      ...target(),
      runbook: twoNodeQdevice,
      rawParams: { qnetd: QNETD_IP },
      mode: "interactive",
      gate: operator,
    });
    expect(result.error ?? "").toBe("");
    expect(result.outcome).toBe("done");
    runId = result.runId!;
    for (const node of ["node1", "node2"]) {
      const status = await quorumtool(node);
      expect(status).toContain("Flags:            Quorate Qdevice \n");
      expect(status).toContain("Expected votes:   3\n");
      expect(status).toMatch(/^ {9}0 {10}1 {12}Qdevice$/m);
      const tool = await bed.inNode(node, ["corosync-qdevice-tool", "-s"]);
      expect(tool.stdout).toContain(`QNetd host:\t\t${QNETD_IP}:5403\n`);
      expect(tool.stdout).toContain("State:\t\t\tConnected\n");
    }
  });

  it("one node stops and the survivor stays quorate with the QDevice's vote", async () => {
    await bed.inNode("node2", asNode(["systemctl", "stop", "corosync"]));
    await until("node1 sees itself alone", async () => /^Nodes: +1$/m.test(await quorumtool("node1")));
    const alone = await quorumtool("node1");
    expect(alone).toContain("Quorate:          Yes\n");
    expect(alone).toContain("Total votes:      2\n");
    expect(alone).toMatch(/^ {9}1 {10}1 {4}A,V,NMW node1 \(local\)$/m);
    // corosync-qdevice Requires= corosync: it stopped with it and starts again after it, as at boot.
    await bed.inNode("node2", asNode(["systemctl", "start", "corosync"]));
    await until("node2 back in the membership", async () => /^Nodes: +2$/m.test(await quorumtool("node2")));
    // Started too soon after corosync the daemon can exit before it registers: start it until it has.
    await until("node2's qdevice registered", async () => {
      await bed.inNode("node2", asNode(["systemctl", "start", "corosync-qdevice"]));
      return /^Flags: .*Qdevice/m.test(await quorumtool("node2"));
    });
    await until("node2 back, the device voting again", async () => {
      const s = await quorumtool("node1");
      const t = await quorumtool("node2");
      return /^Nodes: +2$/m.test(s) && /^Total votes: +3$/m.test(s) && /^Flags: +Quorate Qdevice $/m.test(t);
    });
  });

  it("qnetd stops and diagnose says the tiebreaker is gone", async () => {
    await qnetd!.stop();
    try {
      const found = await findingsUntil("diagnose sees the device not voting on both nodes", (f) =>
        f.some((x) => /node1: .*; node2: .*Connect failed/.test(x.summary)),
      );
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ severity: "critical", node: "node1" });
      expect(found[0]!.summary).toContain(`The QDevice's vote does not count (qnetd ${QNETD_IP})`);
      expect(found[0]!.summary).toContain("corosync-qdevice-tool: Connect failed");
      expect(found[0]!.summary).toContain("The tiebreaker is gone");
    } finally {
      await qnetd!.start();
    }
    await findingsUntil("the device votes again", (f) => f.length === 0);
  });

  it("undo removes the QDevice from the real cluster", async () => {
    const undone = await undoRun({
      ...target(),
      runId,
      runbookFor: () => twoNodeQdevice,
      mode: "interactive",
      gate: operator,
    });
    expect(undone.error ?? "").toBe("");
    expect(undone.outcome).toBe("undone");
    const conf = (await bed.inNode("node1", ["cat", "/etc/pve/corosync.conf"])).stdout;
    expect(conf).not.toContain("device {");
    await until("no node counts a device", async () => {
      const [a, b] = await Promise.all([quorumtool("node1"), quorumtool("node2")]);
      return [a, b].every((s) => /^Flags: +Quorate $/m.test(s) && /^Expected votes: +2$/m.test(s));
    });
  });
});
