/**
 * two-node-qdevice on hand-made facts (every decision branch) and its readers on real output:
 * test/fixtures/qdevice/ holds what real corosync 3, corosync-qdevice and corosync-qnetd printed in
 * the netns bed (scripts/testbed/qnetd-up.sh): set up, qnetd stopped, one node's qdevice stopped.
 * The lab is compared with the same samples.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import twoNodeQdevice from "../../runbooks/two-node-qdevice.js";
import { labExec, resetLab } from "../../src/lab/index.js";
import { qdeviceFindings } from "../../src/pve/findings/qdevice.js";
import { parseQdeviceTool } from "../../src/pve/parsers/corosync-qdevice-tool.js";
import type { QdeviceFacts, QdeviceNode } from "../../src/pve/probes/qdevice.js";
import { nodeVotesOf, qdeviceConfOf } from "../../src/pve/probes/qdevice.js";
import { withoutHandSetQuorum } from "../../src/pve/steps/qdevice.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/qdevice/${name}`, import.meta.url), "utf8");
const REAL_CONF = fixture("corosync.conf");
const NODES = [
  { name: "node1", nodeid: 1, votes: 1 },
  { name: "node2", nodeid: 2, votes: 1 },
];

describe("readers on real output", () => {
  it("reads pvecm status with a voting QDevice, with qnetd down, and with one node's qdevice stopped", () => {
    expect(nodeVotesOf(fixture("pvecm-status-qdevice.txt"), NODES)).toEqual({
      quorate: true,
      expectedVotes: 3,
      totalVotes: 3,
      quorum: 2,
      flags: ["Quorate", "Qdevice"],
      members: ["node1", "node2"],
      qdeviceColumn: "A,V,NMW",
      qdeviceVotes: { votes: 1, casting: true },
    });
    expect(nodeVotesOf(fixture("pvecm-status-qnetd-down.txt"), NODES)).toMatchObject({
      totalVotes: 2,
      flags: ["Quorate", "Qdevice"],
      qdeviceColumn: "A,NV,NMW",
      qdeviceVotes: { votes: 1, casting: false },
    });
    expect(nodeVotesOf(fixture("pvecm-status-qdevice-stopped.txt"), NODES)).toMatchObject({
      flags: ["Quorate"],
      qdeviceColumn: "NR",
      qdeviceVotes: { votes: 1, casting: false },
    });
    expect(nodeVotesOf(fixture("pvecm-status-no-qdevice.txt"), NODES)).toMatchObject({
      expectedVotes: 2,
      qdeviceColumn: null,
      qdeviceVotes: null,
    });
  });

  it("reads corosync-qdevice-tool -s connected, failing and not running, and -sv", () => {
    expect(parseQdeviceTool(fixture("qdevice-tool-connected.txt"))).toMatchObject({
      state: "running",
      qnetdHost: "10.10.10.9:5403",
      algorithm: "Fifty-Fifty split",
      connectionState: "Connected",
      configuredNodes: [1, 2],
    });
    expect(parseQdeviceTool(fixture("qdevice-tool-connect-failed.txt"))).toMatchObject({
      connectionState: "Connect failed",
      connected: false,
    });
    expect(parseQdeviceTool(fixture("qdevice-tool-not-running.txt"))).toMatchObject({ state: "not-running" });
    expect(parseQdeviceTool(fixture("qdevice-tool-connected-verbose.txt"))).toMatchObject({
      lastPollVote: "cast vote",
      quorumNodes: [
        { nodeId: 2, state: "member" },
        { nodeId: 1, state: "member" },
      ],
    });
  });

  it("reads the quorum.device section `pvecm qdevice setup` writes", () => {
    expect(qdeviceConfOf(REAL_CONF).device).toEqual({
      model: "net",
      host: "10.10.10.9",
      algorithm: "ffsplit",
      votes: 1,
    });
  });

  it("takes only the quorum section's two_node and wait_for_all out of corosync.conf", () => {
    const text =
      "quorum {\n  provider: corosync_votequorum\n  two_node: 1\n  wait_for_all: 1\n}\n\ntotem {\n  two_node: 1\n}\n";
    expect(withoutHandSetQuorum(text)).toBe(
      "quorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  two_node: 1\n}\n",
    );
  });
});

describe("the lab prints what the real cluster printed", () => {
  const dir = mkdtempSync(join(tmpdir(), "pvefix-qdevice-lab-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // From "Votequorum information" on: the parts that do not depend on the clock or the ring id.
  const votequorum = (text: string) => text.slice(text.indexOf("Votequorum information"));
  const exec = async (node: string, command: string) => {
    const r = await labExec({ stateDir: dir, node, command });
    if (typeof r === "string") throw new Error(`${command}: ${r}`);
    return r;
  };

  it.each([
    ["two-node-qdevice-working", "pvecm-status-qdevice.txt"],
    ["two-node-qdevice-qnetd-down", "pvecm-status-qnetd-down.txt"],
  ])("%s: pvecm status as %s", async (scenario, sample) => {
    await resetLab({ stateDir: dir, scenario });
    const lab = await exec("pve1", "pvecm status");
    expect(votequorum(lab.stdout)).toBe(votequorum(fixture(sample)));
  });

  it("a stopped corosync-qdevice: NR, no Qdevice flag, the device row without its vote", async () => {
    await resetLab({ stateDir: dir, scenario: "two-node-qdevice-working" });
    await exec("pve2", "systemctl stop corosync-qdevice");
    const lab = await exec("pve2", "pvecm status");
    expect(votequorum(lab.stdout)).toBe(votequorum(fixture("pvecm-status-qdevice-stopped.txt")));
    const tool = await exec("pve2", "corosync-qdevice-tool -s");
    expect([tool.stderr, tool.exitCode]).toEqual([fixture("qdevice-tool-not-running.txt"), 3]);
  });
});

const node = (name: string, over: Partial<QdeviceNode> = {}): QdeviceNode => ({
  node: name,
  reachable: true,
  votes: {
    quorate: true,
    expectedVotes: 2,
    totalVotes: 2,
    quorum: 2,
    flags: ["Quorate"],
    members: ["pve1", "pve2"],
    qdeviceColumn: null,
    qdeviceVotes: null,
  },
  problem: null,
  installed: true,
  certStore: false,
  daemon: null,
  ...over,
});

const CONF = readFileSync(new URL("../fixtures/qdevice/corosync.conf", import.meta.url), "utf8");
const PLAIN = CONF.replace(/ {2}device \{[\s\S]*?\n {2}\}\n/, "");

function facts(
  over: Partial<QdeviceFacts> = {},
  text = PLAIN.replace(/name: node(\d)/g, "name: pve$1"),
): QdeviceFacts {
  return {
    conf: qdeviceConfOf(text),
    nodes: [node("pve1"), node("pve2")],
    joining: [],
    haMoving: [],
    qnetd: { addr: "10.10.10.9", from: "pve1", ssh: true, error: null, service: "active" },
    ...over,
  };
}

const decide = (f: QdeviceFacts, params: { qnetd: string; node?: string } = { qnetd: "10.10.10.9" }) =>
  twoNodeQdevice.decide(params, f);
const code = (f: QdeviceFacts) => {
  const d = decide(f);
  return d.kind === "refusal" ? d.refusal.code : d.kind;
};

describe("decide", () => {
  it("plans pvecm qdevice setup on the first node, verified on both nodes with 3 expected votes", () => {
    const d = decide(facts());
    if (d.kind !== "plan") throw new Error(JSON.stringify(d));
    expect(d.plan.steps.map((s) => [s.id, s.risk])).toEqual([["qdevice-setup-pve1", "dangerous"]]);
    expect(d.plan.steps[0]?.actions).toEqual([
      { kind: "exec", command: "pvecm qdevice setup 10.10.10.9", timeoutMs: 180_000 },
    ]);
    expect(d.plan.steps[0]?.verify?.map((c) => [c.node, c.args])).toEqual([
      ["pve1", { expected: 3 }],
      ["pve2", { expected: 3 }],
    ]);
  });

  it("plans the edit of hand-set two_node and wait_for_all first, with an undo above every version the run writes", () => {
    const text = PLAIN.replace(/name: node(\d)/g, "name: pve$1").replace(
      "  provider: corosync_votequorum\n",
      "  provider: corosync_votequorum\n  two_node: 1\n  wait_for_all: 1\n",
    );
    const d = decide(facts({}, text));
    if (d.kind !== "plan") throw new Error(JSON.stringify(d));
    expect(d.plan.steps.map((s) => s.id)).toEqual([
      "stage-corosync-conf-pve1",
      "replace-corosync-conf-pve1",
      "qdevice-setup-pve1",
    ]);
    const undo = d.plan.steps[1]?.undo;
    if (undo?.kind !== "actions" || undo.actions[0]?.kind !== "write-file") throw new Error("no write undo");
    expect(undo.actions[0].content).toContain("two_node: 1\n");
    expect(undo.actions[0].content).toContain("config_version: 6\n");
  });

  it("refuses in the order the preconditions matter", () => {
    const offline = node("pve2", { reachable: false, votes: null });
    const alone = node("pve1", { votes: { ...node("pve1").votes!, members: ["pve1"], quorate: false } });
    expect(code(facts({ joining: ["pve3"] }))).toBe("qdevice-node-joining");
    expect(
      code(
        facts(
          {},
          PLAIN.replace(/name: node(\d)/g, "name: pve$1").replace(
            "nodelist {\n",
            "nodelist {\n  node {\n    name: pve3\n    nodeid: 3\n    quorum_votes: 1\n    ring0_addr: 10.10.10.3\n  }\n",
          ),
        ),
      ),
    ).toBe("qdevice-odd-nodes");
    expect(
      code(
        facts({ nodes: [node("pve1", { votes: { ...node("pve1").votes!, expectedVotes: 1 } }), offline] }),
      ),
    ).toBe("qdevice-not-ready");
    expect(code(facts({ nodes: [node("pve1"), offline] }))).toBe("qdevice-not-ready");
    expect(code(facts({ nodes: [alone, node("pve2")] }))).toBe("qdevice-not-ready");
    expect(code(facts({ nodes: [node("pve1"), node("pve2", { installed: false })] }))).toBe(
      "qdevice-not-ready",
    );
    expect(code(facts({ nodes: [node("pve1", { certStore: true }), node("pve2")] }))).toBe(
      "qdevice-not-ready",
    );
    expect(code(facts({ haMoving: ["vm:100 (migrate)"] }))).toBe("qdevice-not-ready");
    const q = facts().qnetd!;
    expect(
      code(
        facts({
          qnetd: { ...q, ssh: false, error: "root@10.10.10.9: Permission denied (publickey,password)." },
        }),
      ),
    ).toBe("qnetd-unreachable");
    expect(code(facts({ qnetd: { ...q, service: "inactive" } }))).toBe("qnetd-unreachable");
  });

  it("says why a forced survivor is refused: undo `pvecm expected` first", () => {
    const forced = node("pve1", { votes: { ...node("pve1").votes!, expectedVotes: 1, members: ["pve1"] } });
    const d = decide(facts({ nodes: [forced, node("pve2", { reachable: false, votes: null })] }));
    expect(d.kind === "refusal" && d.refusal.message).toBe(
      "pve1 runs with expected votes forced to 1 (the config says 2)",
    );
  });

  const voting = (casting: boolean, flags = ["Quorate", "Qdevice"]) =>
    node("pve1", {
      votes: {
        ...node("pve1").votes!,
        expectedVotes: 3,
        flags,
        qdeviceColumn: casting ? "A,V,NMW" : "A,NV,NMW",
        qdeviceVotes: { votes: 1, casting },
      },
      daemon: {
        running: true,
        state: casting ? "Connected" : "Connect failed",
        qnetdHost: "10.10.10.9:5403",
        error: null,
      },
    });
  const withDevice = (nodes: QdeviceNode[]) =>
    facts({ nodes }, CONF.replace(/name: node(\d)/g, "name: pve$1"));

  it("has nothing to do when the QDevice votes, and refuses to replace one that does not or names another host", () => {
    const working = withDevice([voting(true), { ...voting(true), node: "pve2" }]);
    expect(decide(working)).toEqual({
      kind: "nothing-to-do",
      reason: "a QDevice with qnetd 10.10.10.9 votes: Flags Quorate Qdevice on pve1, pve2, expected votes 3",
    });
    expect(code(withDevice([voting(false), { ...voting(false), node: "pve2" }]))).toBe("qdevice-exists");
    expect(decide(working, { qnetd: "10.10.10.8" })).toMatchObject({ refusal: { code: "qdevice-exists" } });
  });

  it("reports a lost qnetd once for the cluster and a stopped corosync-qdevice per node", () => {
    const lost = qdeviceFindings(withDevice([voting(false), { ...voting(false), node: "pve2" }]));
    expect(lost.map((f) => [f.severity, f.node, f.manual])).toEqual([
      ["critical", "pve1", "ssh -o BatchMode=yes -l root 10.10.10.9 systemctl status corosync-qnetd"],
    ]);
    const stopped = {
      ...voting(false, ["Quorate"]),
      node: "pve2",
      daemon: {
        running: false,
        state: null,
        qnetdHost: null,
        error:
          "corosync-qdevice-tool: Can't connect to QDevice socket (is QDevice running?): No such file or directory",
      },
    };
    const one = qdeviceFindings(withDevice([voting(true), stopped]));
    expect(one.map((f) => [f.severity, f.node, f.manual])).toEqual([
      ["critical", "pve2", "systemctl start corosync-qdevice"],
    ]);
    expect(one[0]?.summary).toMatch(
      /^corosync-qdevice does not run on pve2 \(qnetd 10\.10\.10\.9\): Flags: Quorate \(no Qdevice\)/,
    );
  });
});
