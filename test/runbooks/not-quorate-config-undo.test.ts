/**
 * not-quorate-config's undo guard (issue 9.3): undoing the run must not force quorum on a node
 * while the others are quorate without it, and must ask for the node name when it may.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import runbook from "../../runbooks/not-quorate-config.js";
import { sha256Hex } from "../../src/engine/fingerprint.js";
import type { Step } from "../../src/engine/model.js";
import { parseParams } from "../../src/engine/params.js";
import { finishPlan } from "../../src/engine/plan.js";
import type { NodeClusterState } from "../../src/pve/probes/corosync.js";

type Params = Parameters<typeof runbook.decide>[0];
type Facts = Parameters<typeof runbook.decide>[1];

const CONF = readFileSync(join(import.meta.dirname, "../fixtures", "corosync-conf-pve-written.txt"), "utf8");
const FIXED = CONF.replace("knet_link_priority: 20", "knet_link_priority: 10");
const NODELIST = [1, 2, 3].map((id) => ({ name: `pve${id}`, nodeid: id, votes: 1 }));

/** A node in a membership of `members` (node ids), corosync and pmxcfs running. */
function node(name: string, members: number[], quorate: boolean): NodeClusterState {
  return {
    node: name,
    reachable: true,
    quorum: {
      node: name,
      corosyncRunning: true,
      quorate,
      expectedVotes: 3,
      totalVotes: members.length,
      quorum: 2,
      members,
    },
    quorumProblem: null,
    corosync: "active",
    pveCluster: "active",
    localModePid: null,
    corosyncConfVersion: 8,
    pveConfVersion: 8,
  };
}

const RUN = "20261205T010000Z-not-quorate-config-1a2b";
const alone = (name: string) => node(name, [Number(name.slice(3))], false);
const params = parseParams(runbook, { node: "pve1", file: "fixed.conf" }) as Params;

function facts(states: NodeClusterState[], disconnected: string[] | null = ["pve2", "pve3"]): Facts {
  return {
    target: "pve1",
    path: "/etc/pve/corosync.conf",
    states,
    disconnected,
    nodelist: NODELIST,
    current: CONF,
    newContent: { source: "file fixed.conf", text: FIXED, sha256: sha256Hex(FIXED), problem: null },
  };
}

/** Path A as planned while every node was cut off: the steps in the order the undo runs them. */
function undoOrder(): Step[] {
  const f = facts([alone("pve1"), alone("pve2"), alone("pve3")]);
  const d = runbook.decide(params, f);
  if (d.kind !== "plan") throw new Error(JSON.stringify(d));
  return [...finishPlan(runbook, params, f, d.plan, "lab").steps].reverse();
}

/** The guard of every undo step, in undo order, on `now`. */
function guards(now: Facts) {
  const order = undoOrder();
  return order.map(
    (step, i) =>
      [step.id, runbook.guardUndo!(params, now, step, { runId: RUN, before: order.slice(0, i) })] as const,
  );
}

describe("not-quorate-config undo guard", () => {
  it("refuses to force quorum again on pve1 once pve2 and pve3 are quorate without it", () => {
    const split = facts([alone("pve1"), node("pve2", [2, 3], true), node("pve3", [2, 3], true)]);
    const [first] = guards(split);
    expect(first?.[0]).toBe("restore-expected-votes-pve1");
    expect(first?.[1]).toEqual({
      ok: false,
      refusal: expect.objectContaining({
        code: "split-brain-risk",
        message:
          "Undoing restore-expected-votes-pve1 runs `pvecm expected 1` on pve1, but pve2, pve3 are quorate without pve1",
        detail: `A quorate partition exists: put back what run ${RUN} changed from there (\`pvefix plan not-quorate-config --node pve2 --restore-backup ${RUN}\`), or undo again once pve1 has rejoined it.`,
      }),
    });
  });

  it("asks for the node name, with the split-brain warning, while pve1 is still alone and nobody is quorate", () => {
    const cut = guards(facts([alone("pve1"), alone("pve2"), alone("pve3")]));
    expect(cut.map(([id, g]) => [id, g.ok, g.ok ? (g.risk ?? "step's own") : g.refusal.code])).toEqual([
      ["restore-expected-votes-pve1", true, "dangerous"],
      ["replace-file-pve1", true, "step's own"],
      ["write-corosync-conf-pve3", true, "step's own"],
      ["write-corosync-conf-pve2", true, "step's own"],
      ["stage-new-file-pve1", true, "step's own"],
      ["lower-expected-votes-pve1", true, "safe"],
    ]);
    const first = cut[0]![1];
    expect(first.ok && first.warning).toContain("Split-brain risk: the undo runs `pvecm expected 1`");
  });

  it("refuses to lower expected votes on a healed, quorate cluster and says how to revert instead", () => {
    const healed = facts(
      ["pve1", "pve2", "pve3"].map((n) => node(n, [1, 2, 3], true)),
      [],
    );
    const [, g] = guards(healed)[0]!;
    expect(g).toMatchObject({
      ok: false,
      refusal: {
        code: "split-brain-risk",
        message:
          "Undoing restore-expected-votes-pve1 runs `pvecm expected 1` on pve1, but pve1 is quorate with 2 other node(s) now",
      },
    });
    expect(!g.ok && g.refusal.detail).toContain(`--restore-backup ${RUN}`);
  });

  it("refuses a restore into /etc/pve on a node that is read-only there and will not be forced first", () => {
    const order = undoOrder().filter((s) => s.id !== "restore-expected-votes-pve1");
    const replace = order.find((s) => s.id === "replace-file-pve1")!;
    const now = facts([alone("pve1"), alone("pve2"), alone("pve3")]);
    expect(runbook.guardUndo!(params, now, replace, { runId: RUN, before: [] })).toMatchObject({
      ok: false,
      refusal: { code: "not-quorate", node: "pve1" },
    });
  });

  it("path B: asks for the node name only before `pmxcfs -l`; ending local mode and starting pve-cluster are safe", () => {
    const dead = (name: string): NodeClusterState => ({
      ...alone(name),
      corosync: "failed",
      quorum: {
        ...alone(name).quorum!,
        corosyncRunning: false,
        expectedVotes: null,
        totalVotes: null,
        quorum: null,
        members: [],
      },
    });
    const f = facts(["pve1", "pve2", "pve3"].map(dead), null);
    const d = runbook.decide(params, f);
    if (d.kind !== "plan") throw new Error(JSON.stringify(d));
    const order = [...finishPlan(runbook, params, f, d.plan, "lab").steps].reverse();
    const gates = order.map((step, i) => {
      const g = runbook.guardUndo!(params, f, step, { runId: RUN, before: order.slice(0, i) });
      return `${step.id}:${g.ok ? (g.risk ?? step.risk) : g.refusal.code}`;
    });
    expect(gates).toEqual([
      "start-pve-cluster-pve1:safe",
      "stop-pmxcfs-local-mode-pve1:dangerous",
      "replace-file-pve1:safe",
      "write-corosync-conf-pve3:safe",
      "write-corosync-conf-pve2:safe",
      "write-corosync-conf-pve1:safe",
      "stage-new-file-pve1:safe",
      "pmxcfs-local-mode-pve1:safe",
      "stop-pve-cluster-pve1:safe",
    ]);
  });
});
