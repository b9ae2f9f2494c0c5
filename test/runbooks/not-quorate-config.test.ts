import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import runbook from "../../runbooks/not-quorate-config.js";
import { sha256Hex } from "../../src/engine/fingerprint.js";
import { Journal } from "../../src/engine/journal.js";
import type { Decision, Step } from "../../src/engine/model.js";
import { parseParams } from "../../src/engine/params.js";
import { finishPlan } from "../../src/engine/plan.js";
import { createProbeContext } from "../../src/engine/probe-context.js";
import { otherSide } from "../../src/pve/guards/split-brain.js";
import { clusterConfigChecks } from "../../src/pve/probes/cluster-config-checks.js";
import { type NodeClusterState, parsePmxcfsProcs } from "../../src/pve/probes/corosync.js";
import { readNewContent, readNewContentFrom } from "../../src/pve/probes/new-content.js";
import { pvecmCommand } from "../../src/pve/probes/quorum.js";
import { TransportError } from "../../src/transport/errors.js";
import type { ExecOptions } from "../../src/transport/types.js";
import { FakeCluster } from "../engine/fake-cluster.js";

type Params = Parameters<typeof runbook.decide>[0];
type Facts = Parameters<typeof runbook.decide>[1];

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../fixtures", name), "utf8");
const CONF = fixture("corosync-conf-pve-written.txt"); // config_version 7, nodes pve1..pve3
const FIXED = CONF.replace("knet_link_priority: 20", "knet_link_priority: 10");
const NODELIST = [1, 2, 3].map((id) => ({ name: `pve${id}`, nodeid: id, votes: 1 }));

/** A node alone in its own membership (cut off), corosync and pmxcfs running, both copies at version 7. */
function node(name: string, over: Partial<NodeClusterState> = {}): NodeClusterState {
  const id = Number(name.slice(3));
  return {
    node: name,
    reachable: true,
    quorum: {
      node: name,
      corosyncRunning: true,
      quorate: false,
      expectedVotes: 3,
      totalVotes: 1,
      quorum: 2,
      members: [id],
    },
    quorumProblem: null,
    corosync: "active",
    pveCluster: "active",
    localModePid: null,
    corosyncConfVersion: 7,
    pveConfVersion: 7,
    ...over,
  };
}

const content = (text: string) => ({
  source: "file fixed.conf",
  text,
  sha256: sha256Hex(text),
  problem: null,
});
const down = (name: string) => node(name, { ...unreachableFields });
const unreachableFields = {
  reachable: false,
  quorum: null,
  corosync: null,
  pveCluster: null,
  corosyncConfVersion: null,
  pveConfVersion: null,
};
const corosyncDead = (name: string, over: Partial<NodeClusterState> = {}) =>
  node(name, {
    corosync: "failed",
    quorum: {
      ...node(name).quorum!,
      corosyncRunning: false,
      expectedVotes: null,
      totalVotes: null,
      quorum: null,
      members: [],
    },
    ...over,
  });

/** Every node cut off from the others, pve1 the target, a fixed corosync.conf to write. */
function facts(over: Partial<Facts> = {}): Facts {
  return {
    target: "pve1",
    path: "/etc/pve/corosync.conf",
    states: [node("pve1"), node("pve2"), node("pve3")],
    disconnected: ["pve2", "pve3"],
    nodelist: NODELIST,
    current: CONF,
    newContent: content(FIXED),
    ...over,
  };
}

const params = (over: Record<string, unknown> = {}) =>
  parseParams(runbook, { node: "pve1", file: "fixed.conf", ...over }) as Params;
const decide = (f: Facts, p: Params = params()) => runbook.decide(p, f);

function planOf(d: Decision) {
  if (d.kind !== "plan") throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  return d.plan;
}
const refusalOf = (d: Decision) => (d.kind === "refusal" ? d.refusal : null);

/** `id risk: what it runs` per step. */
function outline(d: Decision): string[] {
  return planOf(d).steps.map((s) => {
    const what = s.actions.map((a) => (a.kind === "exec" ? a.command : `${a.kind} ${a.path}`)).join("; ");
    return `${s.id} ${s.risk}: ${what}`;
  });
}

const stepById = (d: Decision, id: string) => planOf(d).steps.find((s) => s.id === id) as Step;

describe("not-quorate-config decide: corosync runs on the target (pvecm expected)", () => {
  it("lowers expected votes, stages, copies to the other nodes, replaces with one mv, then restarts corosync", () => {
    expect(outline(decide(facts()))).toEqual([
      "lower-expected-votes-pve1 dangerous: pvecm expected 1",
      "stage-new-file-pve1 safe: write-file /etc/pve/corosync.conf.new",
      "write-corosync-conf-pve2 safe: write-file /etc/corosync/corosync.conf",
      "write-corosync-conf-pve3 safe: write-file /etc/corosync/corosync.conf",
      "replace-file-pve1 safe: mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf",
      "restore-expected-votes-pve1 safe: systemctl restart corosync",
    ]);
  });

  it("states the split-brain risk and what was proved in the gate of the first step", () => {
    const first = planOf(decide(facts())).steps[0]!;
    expect(first.warning).toContain("Split-brain risk: `pvecm expected 1` makes pve1 quorate on its own");
    expect(first.warning).toContain("pve2, pve3 are disconnected from pve1 on every corosync link");
    expect(first.warning).toContain(
      "the largest partition outside pve1 that may exist now (pve2) holds 1 of the 2 votes quorum needs; if their links heal, pve2, pve3 together hold 2 votes: enough for quorum",
    );
    expect(first.reason).toContain("pve1 is not quorate and corosync runs there");
  });

  it("undoes `pvecm expected` by restarting corosync, since votequorum will not raise it back", () => {
    const d = decide(facts());
    expect(stepById(d, "lower-expected-votes-pve1").undo).toMatchObject({
      kind: "actions",
      actions: [{ command: "systemctl restart corosync" }],
    });
    expect(stepById(d, "restore-expected-votes-pve1").undo).toMatchObject({
      actions: [{ command: "pvecm expected 1" }],
    });
  });

  it("refuses when the target shares its partition, since `pvecm expected` would reach the partner too", () => {
    const pair = { corosyncRunning: true, quorate: false, expectedVotes: 4, totalVotes: 2, quorum: 3 };
    const states = [
      node("pve1", { quorum: { node: "pve1", ...pair, members: [1, 2] } }),
      node("pve2", { quorum: { node: "pve2", ...pair, members: [1, 2] } }),
      down("pve3"),
      down("pve4"),
    ];
    const nodelist = [...NODELIST, { name: "pve4", nodeid: 4, votes: 1 }];
    const r = refusalOf(
      decide(facts({ states, nodelist, disconnected: ["pve3", "pve4"] }), params({ nodesDown: "pve3,pve4" })),
    );
    expect(r).toMatchObject({
      code: "split-brain-risk",
      message: "pve1 is not alone in its corosync partition",
    });
    expect(r?.detail).toContain("lower expected votes on the 1 other member(s) of pve1's partition too");
  });

  it("bumps config_version above every copy on every node and writes the same bytes everywhere", () => {
    const states = [
      node("pve1"),
      node("pve2", { corosyncConfVersion: 9 }),
      node("pve3", { pveConfVersion: 8 }),
    ];
    const plan = planOf(decide(facts({ states })));
    const written = plan.steps.flatMap((s) => s.actions.filter((a) => a.kind === "write-file"));
    expect(new Set(written.map((a) => a.kind === "write-file" && a.content)).size).toBe(1);
    const text = written[0]!.kind === "write-file" ? written[0]!.content : "";
    expect(text).toBe(FIXED.replace("config_version: 7", "config_version: 10"));
    expect(plan.postconditions).toEqual(
      ["pve1", "pve2", "pve3"].map((n) =>
        expect.objectContaining({ name: "corosync-conf-version", node: n, args: { version: 10 } }),
      ),
    );
  });

  it("keeps a config_version the new file already sets above every node's", () => {
    const d = decide(
      facts({ newContent: content(FIXED.replace("config_version: 7", "config_version: 12")) }),
    );
    expect(planOf(d).postconditions?.[0]?.args).toEqual({ version: 12 });
  });

  it("backs up the target's /etc/corosync copy in the mv step, since pmxcfs rewrites it there", () => {
    const replace = stepById(decide(facts()), "replace-file-pve1");
    expect(replace.files).toEqual(["/etc/pve/corosync.conf", "/etc/corosync/corosync.conf"]);
    expect(replace.undo).toMatchObject({
      actions: [
        { kind: "restore-file", path: "/etc/pve/corosync.conf" },
        { kind: "restore-file", path: "/etc/corosync/corosync.conf" },
      ],
    });
    const sha = sha256Hex(FIXED.replace("config_version: 7", "config_version: 8"));
    expect(replace.verify).toEqual([
      expect.objectContaining({ name: "file-sha256", args: { path: "/etc/pve/corosync.conf", sha256: sha } }),
    ]);
  });

  it("never runs unattended", () => {
    const plan = finishPlan(runbook, params(), facts(), planOf(decide(facts())), "lab");
    expect(plan.unattended).toEqual({ eligible: false, reason: "not-quorate-config never runs unattended" });
  });
});

describe("not-quorate-config decide: corosync is dead on the target (pmxcfs local mode)", () => {
  const dead = () =>
    facts({ states: ["pve1", "pve2", "pve3"].map((n) => corosyncDead(n)), disconnected: null });

  it("stops pve-cluster, starts pmxcfs -l, edits, writes every node's copy, then ends local mode by pid", () => {
    expect(outline(decide(dead()))).toEqual([
      "stop-pve-cluster-pve1 dangerous: systemctl stop pve-cluster",
      "pmxcfs-local-mode-pve1 dangerous: pmxcfs -l",
      "stage-new-file-pve1 safe: write-file /etc/pve/corosync.conf.new",
      "write-corosync-conf-pve1 safe: write-file /etc/corosync/corosync.conf",
      "write-corosync-conf-pve2 safe: write-file /etc/corosync/corosync.conf",
      "write-corosync-conf-pve3 safe: write-file /etc/corosync/corosync.conf",
      "replace-file-pve1 safe: mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf",
      "stop-pmxcfs-local-mode-pve1 safe: pkill -F /run/pve-cluster.pid",
      "start-pve-cluster-pve1 safe: systemctl start pve-cluster",
    ]);
  });

  it("undoes each service step with its opposite and says corosync stays stopped", () => {
    const d = decide(dead());
    const undo = (id: string) => {
      const u = stepById(d, id).undo;
      return u.kind === "actions" ? u.actions.map((a) => (a.kind === "exec" ? a.command : a.kind)) : [];
    };
    expect(undo("stop-pve-cluster-pve1")).toEqual(["systemctl start pve-cluster"]);
    expect(undo("pmxcfs-local-mode-pve1")).toEqual(["pkill -F /run/pve-cluster.pid"]);
    expect(undo("stop-pmxcfs-local-mode-pve1")).toEqual(["pmxcfs -l"]);
    expect(undo("start-pve-cluster-pve1")).toEqual(["systemctl stop pve-cluster"]);
    expect(stepById(d, "replace-file-pve1").files).toEqual(["/etc/pve/corosync.conf"]);
    expect(planOf(d).warnings).toContain(
      "corosync stays stopped: once every node has the new file, start it with `pvefix run restart-pve-services --node pve1,pve2,pve3 --services corosync`",
    );
    expect(stepById(d, "stop-pve-cluster-pve1").warning).toContain(
      "Split-brain risk: in local mode pmxcfs on pve1 accepts writes without quorum",
    );
    expect(stepById(d, "stop-pve-cluster-pve1").warning).toContain(
      "pvefix checked: corosync does not run on pve1",
    );
    expect(stepById(d, "pmxcfs-local-mode-pve1").warning).toBe(
      "From here pmxcfs on pve1 accepts writes without quorum. Never run local mode on a second node.",
    );
  });

  it("starts with pmxcfs -l when pve-cluster is not running", () => {
    const states = [
      corosyncDead("pve1", { pveCluster: "failed" }),
      corosyncDead("pve2"),
      corosyncDead("pve3"),
    ];
    const d = decide(facts({ states, disconnected: null }));
    expect(outline(d)[0]).toBe("pmxcfs-local-mode-pve1 dangerous: pmxcfs -l");
    expect(planOf(d).steps[0]?.warning).toContain("Split-brain risk: in local mode pmxcfs on pve1");
  });

  it("repairs a broken corosync.conf no parser can read, bumping above its version", () => {
    const broken = fixture("corosync-conf-missing-brace.txt");
    const f = dead();
    f.current = broken;
    f.nodelist = [];
    f.states = f.states.map((s) => ({ ...s, corosyncConfVersion: 8, pveConfVersion: 8 }));
    expect(planOf(decide(f)).postconditions?.[0]?.args).toEqual({ version: 9 });
  });
});

describe("not-quorate-config decide: the target is quorate", () => {
  it("plans the normal edit behind one yes/no gate, without expected votes or local mode", () => {
    const together = {
      corosyncRunning: true,
      quorate: true,
      expectedVotes: 3,
      totalVotes: 3,
      quorum: 2,
      members: [1, 2, 3],
    };
    const states = ["pve1", "pve2", "pve3"].map((n) => node(n, { quorum: { node: n, ...together } }));
    const d = decide(facts({ states, disconnected: [] }));
    expect(outline(d)).toEqual([
      "stage-new-file-pve1 guarded: write-file /etc/pve/corosync.conf.new",
      "write-corosync-conf-pve2 safe: write-file /etc/corosync/corosync.conf",
      "write-corosync-conf-pve3 safe: write-file /etc/corosync/corosync.conf",
      "replace-file-pve1 safe: mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf",
    ]);
  });
});

describe("not-quorate-config decide: other cluster files", () => {
  const STORAGE = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n";

  it("writes the file as given and checks its sha256 instead of corosync versions", () => {
    const next = `${STORAGE}\tshared 0\n`;
    const d = decide(
      facts({ path: "/etc/pve/storage.cfg", current: STORAGE, newContent: content(next) }),
      params({ target: "/etc/pve/storage.cfg" }),
    );
    expect(outline(d)).toEqual([
      "lower-expected-votes-pve1 dangerous: pvecm expected 1",
      "stage-new-file-pve1 safe: write-file /etc/pve/storage.cfg.new",
      "replace-file-pve1 safe: mv -f /etc/pve/storage.cfg.new /etc/pve/storage.cfg",
      "restore-expected-votes-pve1 safe: systemctl restart corosync",
    ]);
    expect(planOf(d).postconditions).toEqual([
      expect.objectContaining({
        name: "file-sha256",
        node: "pve1",
        args: { path: "/etc/pve/storage.cfg", sha256: sha256Hex(next) },
      }),
    ]);
  });

  it("has nothing to do when the file already has that content", () => {
    const d = decide(facts({ path: "/etc/pve/storage.cfg", current: STORAGE, newContent: content(STORAGE) }));
    expect(d.kind).toBe("nothing-to-do");
  });
});

describe("not-quorate-config decide: split-brain guard", () => {
  it("refuses when the other nodes are quorate together", () => {
    const pair = {
      corosyncRunning: true,
      quorate: true,
      expectedVotes: 3,
      totalVotes: 2,
      quorum: 2,
      members: [2, 3],
    };
    const states = [
      node("pve1"),
      node("pve2", { quorum: { node: "pve2", ...pair } }),
      node("pve3", { quorum: { node: "pve3", ...pair } }),
    ];
    const r = refusalOf(decide(facts({ states })));
    expect(r?.code).toBe("split-brain-risk");
    expect(r?.message).toBe("pve2, pve3 are quorate without pve1");
    // A command that works when pasted (the view appends --lab/-i inside the quotes): no "..." in it.
    expect(r?.detail).toContain(
      "`pvefix plan not-quorate-config --node pve2` with the same --file or --restore-backup",
    );
  });

  it("refuses when nodes out of sight could be quorate together, and says how to attest they are off", () => {
    const r = refusalOf(
      decide(facts({ states: [node("pve1"), down("pve2"), down("pve3")], disconnected: ["pve2", "pve3"] })),
    );
    expect(r?.code).toBe("split-brain-risk");
    expect(r?.message).toBe("pve2, pve3 could form a quorate partition without pve1 (2 votes, quorum is 2)");
    expect(r?.detail).toContain("--nodes-down pve2,pve3");
  });

  it("counts an unseen node together with the largest view among the reachable ones", () => {
    const r = refusalOf(decide(facts({ states: [node("pve1"), node("pve2"), down("pve3")] })));
    expect(r?.message).toContain("pve2, pve3 could form a quorate partition");
  });

  it("plans once the operator attests the unseen nodes are powered off", () => {
    const f = facts({ states: [node("pve1"), node("pve2"), down("pve3")] });
    const d = decide(f, params({ nodesDown: "pve3" }));
    expect(planOf(d).steps[0]?.warning).toContain("powered off per --nodes-down: pve3");
    expect(planOf(d).warnings).toContain(
      "pve3 did not answer: copy /etc/corosync/corosync.conf there before corosync starts, or corosync exits on the config_version mismatch",
    );
  });

  it("refuses when a node named in --nodes-down answers over SSH", () => {
    const r = refusalOf(decide(facts(), params({ nodesDown: "pve2" })));
    expect(r).toMatchObject({
      code: "split-brain-risk",
      message: "pve2 answers over SSH, but --nodes-down says powered off",
    });
  });

  it("refuses when a reachable node runs corosync but its quorum cannot be read", () => {
    const blind = node("pve3", {
      quorum: null,
      quorumProblem: "`pvecm status` gave no answer although corosync is active",
    });
    const r = refusalOf(decide(facts({ states: [node("pve1"), node("pve2"), blind] })));
    expect(r).toMatchObject({
      code: "split-brain-risk",
      message: "Cannot tell whether pve3 is quorate",
      node: "pve3",
    });
  });

  it("refuses when the target runs corosync but its own quorum cannot be read", () => {
    const blind = node("pve1", {
      quorum: null,
      quorumProblem: "`pvecm status` gave no answer although corosync is active",
    });
    const r = refusalOf(decide(facts({ states: [blind, node("pve2"), node("pve3")] })));
    expect(r).toMatchObject({
      code: "probe-failed",
      message: "Cannot tell whether pve1 is quorate",
      node: "pve1",
    });
  });

  it("refuses while pmxcfs runs in local mode on another node", () => {
    const r = refusalOf(
      decide(facts({ states: [node("pve1"), node("pve2", { localModePid: 48213 }), node("pve3")] })),
    );
    expect(r).toMatchObject({
      code: "local-mode-elsewhere",
      node: "pve2",
      message: "pmxcfs runs in local mode on pve2 (pid 48213)",
    });
  });

  it("takes the largest membership view of the nodes outside the target's partition", () => {
    const states = [
      node("pve1"),
      node("pve2", { quorum: { ...node("pve2").quorum!, members: [2, 3] } }),
      down("pve3"),
    ];
    expect(otherSide({ states, target: "pve1", nodelist: NODELIST, nodesDown: ["pve3"] })).toEqual({
      nodes: ["pve2", "pve3"],
      votes: 2,
      quorum: 2,
    });
  });
});

describe("not-quorate-config decide: inputs", () => {
  it("refuses a target node that does not answer or is not in the inventory", () => {
    expect(refusalOf(decide(facts({ states: [down("pve1"), node("pve2"), node("pve3")] })))).toMatchObject({
      code: "node-unreachable",
      message: "pve1 does not answer over SSH",
    });
    expect(refusalOf(decide(facts({ target: "pve9" })))?.message).toBe("pve9 is not in the inventory");
  });

  it("refuses without usable content and says why", () => {
    const none = {
      source: "file fixed.conf",
      text: null,
      sha256: null,
      problem: "cannot read fixed.conf: ENOENT",
    };
    expect(refusalOf(decide(facts({ newContent: none })))).toMatchObject({
      code: "invalid-config",
      detail: "cannot read fixed.conf: ENOENT",
    });
  });

  it("refuses a corosync.conf that does not parse, fails PVE's checks, or drops the target", () => {
    const broken = refusalOf(
      decide(facts({ newContent: content(fixture("corosync-conf-missing-brace.txt")) })),
    );
    expect(broken?.code).toBe("invalid-config");
    expect(broken?.detail).toContain("corosync-conf: section 'totem' opened on line 34 is never closed");
    const noId = refusalOf(decide(facts({ newContent: content(FIXED.replace("    nodeid: 2\n", "")) })));
    expect(noId?.detail).toBe("node 'pve2' has no valid nodeid");
    const without = FIXED.replace(/ {2}node \{\n {4}name: pve1\n[^}]*\}\n/, "");
    expect(refusalOf(decide(facts({ newContent: content(without) })))?.detail).toBe(
      "its nodelist has no node pve1, which would leave the cluster",
    );
  });

  it("warns when the new nodelist drops a node", () => {
    const without = FIXED.replace(/ {2}node \{\n {4}name: pve3\n[^}]*\}\n/, "");
    expect(planOf(decide(facts({ newContent: content(without) }))).warnings).toContain(
      "the new nodelist removes pve3",
    );
  });

  it("has nothing to do when /etc/pve and every node already run that content", () => {
    expect(decide(facts({ newContent: content(CONF) })).kind).toBe("nothing-to-do");
    const lagging = [node("pve1"), node("pve2", { corosyncConfVersion: 6 }), node("pve3")];
    expect(decide(facts({ newContent: content(CONF), states: lagging })).kind).toBe("plan");
  });

  it("accepts exactly one content source and only files under /etc/pve", () => {
    expect(() => parseParams(runbook, { node: "pve1" })).toThrow(/exactly one of --file or --restore-backup/);
    expect(() => parseParams(runbook, { node: "pve1", file: "a", restoreBackup: "r1" })).toThrow(
      /exactly one/,
    );
    for (const target of [
      "/etc/corosync/corosync.conf",
      "/etc/pve/../shadow",
      "/etc/pve/nodes/",
      "/etc/pve/a/./b",
    ])
      expect(() => parseParams(runbook, { node: "pve1", file: "a", target }), target).toThrow(
        /under \/etc\/pve/,
      );
    expect(() => parseParams(runbook, { node: "pve1;reboot", file: "a" })).toThrow(/--node/);
    expect(parseParams(runbook, { node: "pve1", file: "a", nodesDown: " pve2, pve3 " })).toEqual({
      node: "pve1",
      file: "a",
      target: "/etc/pve/corosync.conf",
      nodesDown: ["pve2", "pve3"],
    });
    expect(() => parseParams(runbook, { node: "pve1", file: "a", nodesDown: "pve2;x" })).toThrow(
      /--nodes-down/,
    );
  });
});

describe("not-quorate-config content sources", () => {
  const temp: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "pvefix-nqc-"));
    temp.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of temp.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("reads a local file with its sha256, and explains a missing one", () => {
    const file = join(dir(), "fixed.conf");
    writeFileSync(file, FIXED);
    expect(readNewContent({ file, path: "/etc/pve/corosync.conf", stateDir: null })).toEqual({
      source: `file ${file}`,
      text: FIXED,
      sha256: sha256Hex(FIXED),
      problem: null,
    });
    expect(
      readNewContent({ file: `${file}.gone`, path: "/etc/pve/corosync.conf", stateDir: null }).problem,
    ).toMatch(/^cannot read .*fixed\.conf\.gone: ENOENT/);
  });

  it("takes the backup of the earliest plan step that changed the file, not the first journal line", () => {
    const stateDir = dir();
    const runId = "20261123T103500Z-not-quorate-config-1a2b";
    const journal = Journal.create(stateDir, {
      runId,
      runbook: "not-quorate-config",
      mode: "interactive",
      params: {},
      cluster: "lab",
      transport: "lab",
    });
    const plan = finishPlan(runbook, params(), facts(), planOf(decide(facts())), "lab");
    journal.append({ type: "decision", kind: "plan", plan });
    const backup = (stepId: string, text: string) =>
      journal.append({
        type: "backup",
        stepId,
        node: "pve1",
        path: "/etc/pve/corosync.conf",
        existed: true,
        sha256: sha256Hex(text),
        contentBase64: Buffer.from(text).toString("base64"),
        nodeCopy: null,
      });
    backup("restore-expected-votes-pve1", "later\n");
    backup("replace-file-pve1", CONF);
    const got = readNewContent({ restoreBackup: runId, path: "/etc/pve/corosync.conf", stateDir });
    expect(got.text).toBe(CONF);
    expect(got.source).toBe(
      `the backup of /etc/pve/corosync.conf in run ${runId} (step replace-file-pve1 on pve1)`,
    );
    expect(readNewContent({ restoreBackup: runId, path: "/etc/pve/storage.cfg", stateDir }).problem).toBe(
      `run ${runId} backed up no /etc/pve/storage.cfg`,
    );
    expect(
      readNewContent({ restoreBackup: "nope", path: "/etc/pve/corosync.conf", stateDir }).problem,
    ).toMatch(/No run nope/);
    expect(
      readNewContent({ restoreBackup: runId, path: "/etc/pve/corosync.conf", stateDir: null }).problem,
    ).toBe("no pvefix state directory to read runs from");
  });

  it("reads a backup that holds secrets from its copy on the node, checked by the journal's sha256", async () => {
    const stateDir = dir();
    const text = "cifs: smb\n\tpath /mnt/pve/smb\n\tpassword hunter2SECRET\n";
    const journal = Journal.create(stateDir, {
      runId: "r2",
      runbook: "not-quorate-config",
      mode: "interactive",
      params: {},
      cluster: "lab",
      transport: "lab",
    });
    const nodeCopy = "/var/lib/pvefix/backups/r2/s/etc/pve/storage.cfg";
    journal.append({
      type: "backup",
      stepId: "s",
      node: "pve1",
      path: "/etc/pve/storage.cfg",
      existed: true,
      sha256: sha256Hex(text),
      contentBase64: null,
      nodeCopy,
    });
    const o = { restoreBackup: "r2", path: "/etc/pve/storage.cfg", stateDir };
    const asked: string[] = [];
    const reading = (content: string | null) => async (node: string, path: string) => {
      asked.push(`${node}:${path}`);
      return content;
    };
    expect(await readNewContentFrom(reading(text), o)).toEqual({
      source: "the backup of /etc/pve/storage.cfg in run r2 (step s on pve1)",
      text,
      sha256: sha256Hex(text),
      problem: null,
    });
    expect(asked).toEqual([`pve1:${nodeCopy}`]);
    expect((await readNewContentFrom(reading(`${text}# changed\n`), o)).problem).toBe(
      `its copy ${nodeCopy} on pve1 does not match the sha256 ${sha256Hex(text)} recorded in the journal`,
    );
    expect((await readNewContentFrom(reading(null), o)).problem).toBe(`its copy ${nodeCopy} on pve1 is gone`);
  });

  it("refuses new content copied from a redacted output, which would write [REDACTED] as a password", () => {
    const file = join(dir(), "storage.cfg");
    writeFileSync(file, "cifs: smb\n\tpath /mnt/pve/smb\n\tpassword [REDACTED]\n");
    expect(readNewContent({ file, path: "/etc/pve/storage.cfg", stateDir: null })).toEqual({
      source: `file ${file}`,
      text: null,
      sha256: null,
      problem: `file ${file} holds [REDACTED] where pvefix hid a secret (put the real values back)`,
    });
  });

  it("refuses a backup whose journal copy was not kept", () => {
    const stateDir = dir();
    const journal = Journal.create(stateDir, {
      runId: "r1",
      runbook: "not-quorate-config",
      mode: "interactive",
      params: {},
      cluster: "lab",
      transport: "lab",
    });
    journal.append({
      type: "backup",
      stepId: "s",
      node: "pve1",
      path: "/etc/pve/corosync.conf",
      existed: true,
      sha256: "0".repeat(64),
      contentBase64: null,
      nodeCopy: "/var/lib/pvefix/backups/r1/s/etc/pve/corosync.conf",
    });
    expect(readNewContent({ restoreBackup: "r1", path: "/etc/pve/corosync.conf", stateDir }).problem).toBe(
      "run r1 kept no copy of /etc/pve/corosync.conf in its journal because it holds secrets (its copy is /var/lib/pvefix/backups/r1/s/etc/pve/corosync.conf on pve1: copy that to a local file and pass --file)",
    );
  });
});

/** A cut-off 3-node cluster in a FakeCluster: pve1 sees pve2 and pve3 disconnected; pve3 may be unreachable. */
class Cluster extends FakeCluster {
  constructor(readonly unreachable: string[] = []) {
    super(["pve1", "pve2", "pve3"]);
    for (const n of this.nodes) {
      this.file(n, "/etc/pve/corosync.conf", CONF);
      this.file(n, "/etc/corosync/corosync.conf", CONF);
    }
    const status = fixture("pvecm-status-not-quorate.txt");
    this.on((_node, argv) => {
      const cmd = argv.join(" ");
      if (cmd === "systemctl is-active corosync pve-cluster")
        return { exitCode: 0, stdout: "active\nactive\n" };
      if (cmd === "ps -C pmxcfs -o pid=,args=") return { stdout: fixture("ps-pmxcfs-service.txt") };
      if (cmd === pvecmCommand) return { exitCode: 2, stdout: status };
      if (cmd === "corosync-cfgtool -s") return { stdout: fixture("corosync-cfgtool-3.1.5-node-lost.txt") };
      return undefined;
    });
  }

  override async exec(node: string, command: string, options?: ExecOptions) {
    if (this.unreachable.includes(node))
      throw new TransportError("PVEFIX_CONNECT_FAILED", node, "connect ECONNREFUSED");
    return super.exec(node, command, options);
  }
}

const context = (cluster: FakeCluster, stateDir?: string) =>
  createProbeContext({
    transport: cluster,
    nodes: cluster.nodes,
    cluster: "prod-cl01",
    retries: 0,
    ...(stateDir ? { stateDir } : {}),
  });

describe("not-quorate-config probe and checks", () => {
  it("reads every node's membership facts and the peers the target lost on every link", async () => {
    const cluster = new Cluster(["pve3"]);
    const dir = mkdtempSync(join(tmpdir(), "pvefix-nqc-"));
    try {
      writeFileSync(join(dir, "fixed.conf"), FIXED);
      const f = await runbook.probe(context(cluster), params({ file: join(dir, "fixed.conf") }));
      expect(
        f.states.map((s) => [
          s.node,
          s.reachable,
          s.quorum?.quorate,
          s.corosync,
          s.localModePid,
          s.corosyncConfVersion,
        ]),
      ).toEqual([
        ["pve1", true, false, "active", null, 7],
        ["pve2", true, false, "active", null, 7],
        ["pve3", false, undefined, null, null, null],
      ]);
      expect(f.states[0]?.quorum?.members).toEqual([2]);
      expect(f.disconnected).toEqual(["pve3"]);
      expect(f.nodelist).toEqual(NODELIST);
      expect(f.current).toBe(CONF);
      expect(f.newContent.text).toBe(FIXED);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("recognises a manual local-mode pmxcfs but not the service's own", () => {
    expect(parsePmxcfsProcs(fixture("ps-pmxcfs-local-mode.txt"))).toEqual([
      { pid: 48213, args: "/usr/bin/pmxcfs -l", localMode: true },
    ]);
    expect(parsePmxcfsProcs(fixture("ps-pmxcfs-service.txt"))).toEqual([
      { pid: 1093, args: "/usr/bin/pmxcfs", localMode: false },
    ]);
    expect(
      parsePmxcfsProcs("  77 /usr/bin/pmxcfs -f -l\n  78 /usr/bin/pmxcfs --local\n").map((p) => p.localMode),
    ).toEqual([true, true]);
    expect(parsePmxcfsProcs("")).toEqual([]);
  });

  it("checks config_version, file content and /etc/pve write access on the node", async () => {
    const cluster = new Cluster();
    cluster.on((_n, argv) => {
      const cmd = argv.join(" ");
      if (cmd === "stat -c %a /etc/pve/local") return { stdout: "555\n" };
      return cmd === "systemctl is-active corosync" ? { exitCode: 3, stdout: "failed\n" } : undefined;
    });
    const ctx = context(cluster);
    const check = (name: string, args: Record<string, unknown> = {}) =>
      clusterConfigChecks[name]!(ctx, { name, node: "pve2", description: name, args });
    expect(await check("corosync-conf-version", { version: 7 })).toEqual({
      ok: true,
      detail: "config_version 7",
    });
    expect((await check("corosync-conf-version", { version: 8 })).ok).toBe(false);
    expect((await check("file-sha256", { path: "/etc/pve/corosync.conf", sha256: sha256Hex(CONF) })).ok).toBe(
      true,
    );
    expect(await check("pve-writable")).toEqual({ ok: false, detail: "/etc/pve is not writable (555)" });
    expect(await check("unit-active", { unit: "corosync" })).toEqual({
      ok: false,
      detail: "corosync is failed",
    });
    expect(await check("local-mode-off")).toEqual({ ok: true, detail: "no local-mode pmxcfs" });
  });
});

describe("not-quorate-config detect", () => {
  it("finds nothing on a quorate cluster whose copies agree", async () => {
    const cluster = new Cluster();
    cluster.on((_n, argv) =>
      argv.join(" ") === pvecmCommand ? { stdout: fixture("pvecm-status-quorate.txt") } : undefined,
    );
    expect(await runbook.detect!(context(cluster))).toEqual([]);
  });

  it("reports every non-quorate node with the exact next command, and copies whose versions differ", async () => {
    const cluster = new Cluster(["pve3"]);
    cluster.file(
      "pve2",
      "/etc/corosync/corosync.conf",
      CONF.replace("config_version: 7", "config_version: 6"),
    );
    const findings = await runbook.detect!(context(cluster));
    expect(findings.map((f) => [f.severity, f.node, f.summary, f.command])).toEqual([
      [
        "critical",
        "pve1",
        "pve1 is not quorate (1 of 2 votes) and no node is: /etc/pve is read-only there; pve3 does not answer: if it is really down (powered off), name it with --nodes-down",
        "pvefix plan not-quorate-config --node pve1 --file PATH-TO-NEW-CONF --nodes-down NODES-KNOWN-TO-BE-DOWN",
      ],
      [
        "critical",
        "pve2",
        "pve2 is not quorate (1 of 2 votes) and no node is: /etc/pve is read-only there; pve3 does not answer: if it is really down (powered off), name it with --nodes-down",
        "pvefix plan not-quorate-config --node pve2 --file PATH-TO-NEW-CONF --nodes-down NODES-KNOWN-TO-BE-DOWN",
      ],
      [
        "warning",
        "pve2",
        "pve2 has /etc/corosync/corosync.conf version 6 but /etc/pve/corosync.conf has version 7",
        "pvefix plan not-quorate-config --node pve2 --file PATH-TO-NEW-CONF",
      ],
    ]);
  });

  it("names a node cut off from a quorate majority and its link evidence, without suggesting to force quorum", async () => {
    const cluster = new Cluster();
    cluster.on((node, argv) =>
      argv.join(" ") === pvecmCommand && node !== "pve1"
        ? { stdout: fixture("pvecm-status-two-of-three.txt") }
        : undefined,
    );
    const findings = await runbook.detect!(context(cluster));
    expect(findings.map((f) => [f.severity, f.node, f.summary, f.command])).toEqual([
      [
        "critical",
        "pve1",
        "pve1 is cut off from the quorate partition (pve2, pve3): `corosync-cfgtool -s` on pve1 shows pve3 disconnected on every link. Repair its corosync network; forcing quorum on pve1 would split the brain",
        "corosync-cfgtool -s  # on pve1: every peer must show connected",
      ],
    ]);
  });

  it("leaves a stopped corosync with a usable config to restart-pve-services, and names one that cannot start", async () => {
    const cluster = new Cluster();
    cluster.file("pve3", "/etc/corosync/corosync.conf", CONF.replace(/nodelist \{/, "nodelist {\n  node {"));
    cluster.on((node, argv) => {
      const cmd = argv.join(" ");
      if (node === "pve1") return undefined;
      if (cmd === "systemctl is-active corosync pve-cluster")
        return { exitCode: 0, stdout: "inactive\nactive\n" };
      if (cmd === pvecmCommand) return { exitCode: 1, stderr: "Cannot initialize CMAP service\n" };
      return undefined;
    });
    const findings = await runbook.detect!(context(cluster));
    expect(findings.map((f) => [f.severity, f.node, f.summary.replace(/ \(.*\)$/, " (…)")])).toEqual([
      ["critical", "pve1", "pve1 is not quorate (1 of 2 votes) and no node is: /etc/pve is read-only there"],
      [
        "critical",
        "pve3",
        "corosync is inactive on pve3 and cannot start: /etc/corosync/corosync.conf is not usable (…)",
      ],
    ]);
  });

  it("finishes when /etc/pve hangs on a node (pmxcfs deadlocked): that is the services detector's finding", async () => {
    const cluster = new Cluster();
    cluster.on((node, argv) =>
      node === "pve2" && argv.join(" ") === "timeout -s KILL 5 cat /etc/pve/corosync.conf"
        ? { exitCode: 137 }
        : undefined,
    );
    const findings = await runbook.detect!(context(cluster));
    expect(findings.map((f) => f.node)).toEqual(["pve1", "pve2", "pve3"]);
  });
});
