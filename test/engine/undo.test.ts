import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Gate, GateRequest } from "../../src/engine/apply.js";
import { listRuns, readJournal, summarizeRun } from "../../src/engine/journal.js";
import { defineRunbook } from "../../src/engine/runbook.js";
import { exitCodeFor, planUndo, runRunbook, undoRun } from "../../src/engine/session.js";
import { renderRunResult } from "../../src/views/index.js";
import { FakeCluster } from "./fake-cluster.js";
import { testMeta } from "./test-meta.js";

const A = "/etc/demo/a.conf";
const B = "/etc/demo/b.conf";
/** What the runbook's undo guard reads: a stand-in for the quorum facts of a real runbook. */
const FENCE = "/etc/demo/fence";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** write a (n1) → apply x (n1, a command undo) → write b (n2); undo guarded by the fence file. */
const demo = defineRunbook({
  meta: testMeta("demo", "dangerous", "eligible"),
  params: z.object({ risk: z.enum(["safe", "guarded", "dangerous"]).default("safe") }),
  examples: [],
  async probe(ctx) {
    return { fence: await ctx.readFile("n1", FENCE) };
  },
  decide(params) {
    return {
      kind: "plan",
      plan: {
        summary: "rewrite a and b",
        steps: [
          {
            id: "write-a",
            title: "write a",
            node: "n1",
            risk: "safe",
            reason: "r",
            files: [A],
            actions: [{ kind: "write-file", path: A, content: "new a\n" }],
            undo: { kind: "actions", description: "restore a", actions: [{ kind: "restore-file", path: A }] },
          },
          {
            id: "apply-x",
            title: "apply x",
            node: "n1",
            risk: params.risk,
            reason: "r",
            actions: [{ kind: "exec", command: "demo-apply x" }],
            undo: {
              kind: "actions",
              description: "revert x",
              actions: [{ kind: "exec", command: "demo-revert x" }],
            },
          },
          {
            id: "write-b",
            title: "write b",
            node: "n2",
            risk: "safe",
            reason: "r",
            files: [B],
            actions: [{ kind: "write-file", path: B, content: "new b\n" }],
            undo: { kind: "actions", description: "restore b", actions: [{ kind: "restore-file", path: B }] },
          },
        ],
      },
    };
  },
  guardUndo(_params, facts, step, { before }) {
    if (step.id !== "apply-x") return { ok: true };
    if (facts.fence === "split\n")
      return {
        ok: false,
        refusal: { code: "split-brain-risk", message: "the other half is quorate", node: "n1" },
      };
    if (facts.fence === "danger\n")
      return {
        ok: true,
        risk: "dangerous",
        warning: `reverting x is dangerous now (after ${before.map((s) => s.id).join(",")})`,
        evidence: "the fence says danger",
      };
    return { ok: true };
  },
});

const yes: Gate = async (r) => ({ approved: true, answer: r.confirm === "node-name" ? r.step.node : "yes" });
const no: Gate = async () => ({ approved: false, answer: "no" });
const recording = (seen: GateRequest[], answer: Gate = yes): Gate => {
  return async (r) => {
    seen.push(r);
    return answer(r);
  };
};

let stateDir: string;
let cluster: FakeCluster;
const target = () => ({ transport: cluster, nodes: ["n1", "n2"], cluster: "demo", stateDir });

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-undo-"));
  cluster = new FakeCluster(["n1", "n2"]);
  cluster.file("n1", A, "old a\n");
  cluster.file("n2", B, "old b\n");
  cluster.on((_node, argv) => (argv[0]?.startsWith("demo-") ? { exitCode: 0 } : undefined));
});

async function doneRun(rawParams: Record<string, unknown> = {}): Promise<string> {
  const result = await runRunbook({
    ...target(),
    runbook: demo,
    rawParams,
    mode: "interactive",
    gate: yes,
  });
  expect(result.outcome).toBe("done");
  return result.runId!;
}

const undo = (runId: string, gate: Gate = yes, mode: "interactive" | "unattended" = "interactive") =>
  undoRun({ ...target(), runId, runbookFor: () => demo, mode, gate });

/** Commands that changed something since `from` (an index into the log). */
const changesSince = (from: number) =>
  cluster.log
    .slice(from)
    .map((l) => `${l.node}: ${l.command}`)
    .filter((c) => /demo-(apply|revert)|cat > |mv |cp /.test(c) && !c.includes("/run/pvefix"));

describe("undo is a plan, re-checked on fresh facts", () => {
  it("records what every file-changing step left, by sha256", async () => {
    const runId = await doneRun();
    const states = readJournal(stateDir, runId).filter((e) => e.type === "file-state");
    expect(states.map((e) => e.type === "file-state" && [e.stepId, e.node, e.path, e.sha256])).toEqual([
      ["write-a", "n1", A, sha("new a\n")],
      ["write-b", "n2", B, sha("new b\n")],
    ]);
  });

  it("shows the undo plan in undo order and changes nothing: no journal, no command that writes", async () => {
    const runId = await doneRun({ risk: "guarded" });
    const runs = listRuns(stateDir).length;
    const from = cluster.log.length;
    const plan = await planUndo({ ...target(), runId, runbookFor: () => demo });
    expect(plan.refusal).toBeNull();
    expect(plan.plan.steps.map((s) => [s.id, s.risk, s.title])).toEqual([
      ["write-b", "safe", "Undo: write b"],
      ["apply-x", "guarded", "Undo: apply x"],
      ["write-a", "safe", "Undo: write a"],
    ]);
    expect(plan.plan.steps[1]?.actions).toEqual([{ kind: "exec", command: "demo-revert x" }]);
    expect(plan.plan.unattended).toEqual({
      eligible: false,
      reason: "needs a human: undo of apply-x is guarded",
    });
    expect(changesSince(from)).toEqual([]);
    expect(listRuns(stateDir)).toHaveLength(runs);
    expect(cluster.file("n1", A)).toBe("new a\n");
  });

  it("refuses to plan or run the undo on another cluster (exit 2), reading and writing nothing there", async () => {
    const runId = await doneRun();
    const elsewhere = new FakeCluster(["n1", "n2"]);
    const other = { transport: elsewhere, nodes: ["n1", "n2"], cluster: "other", stateDir };
    const runs = listRuns(stateDir).length;
    const error = await undoRun({
      ...other,
      runId,
      runbookFor: () => demo,
      mode: "interactive",
      gate: yes,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "PVEFIX_BAD_INPUT",
      exitCode: 2,
      message: `Run ${runId} was made on cluster demo, not on other: it is undone only on its own cluster`,
    });
    await expect(planUndo({ ...other, runId, runbookFor: () => demo })).rejects.toThrow(
      /made on cluster demo/,
    );
    expect(elsewhere.log).toEqual([]);
    expect(listRuns(stateDir)).toHaveLength(runs);
    expect((await undo(runId)).outcome).toBe("undone");
  });

  it("refuses (exit 3) when a guard says undoing is unsafe now, runs nothing, and stays undoable", async () => {
    const runId = await doneRun();
    cluster.file("n1", FENCE, "split\n");
    const from = cluster.log.length;
    const refused = await undo(runId);
    expect(refused.outcome).toBe("refused");
    expect(exitCodeFor(refused.outcome)).toBe(3);
    expect(refused.refusal).toMatchObject({ code: "split-brain-risk", message: "the other half is quorate" });
    expect(changesSince(from)).toEqual([]);
    expect(cluster.file("n2", B)).toBe("new b\n");
    expect(summarizeRun(readJournal(stateDir, runId)).undoneBy).toBeNull();

    cluster.file("n1", FENCE, "calm\n");
    expect((await undo(runId)).outcome).toBe("undone");
    expect([cluster.file("n1", A), cluster.file("n2", B)]).toEqual(["old a\n", "old b\n"]);
  });

  it("never calls a refused undo plan unattended-eligible", async () => {
    const runId = await doneRun();
    cluster.file("n1", FENCE, "split\n");
    const plan = await planUndo({ ...target(), runId, runbookFor: () => demo });
    expect(plan.refusal).toMatchObject({ code: "split-brain-risk" });
    expect(plan.plan.unattended).toEqual({ eligible: false, reason: "refused: the other half is quorate" });
  });

  it("asks for the node name when the guard makes an undo step dangerous; a wrong answer undoes nothing more", async () => {
    const runId = await doneRun();
    cluster.file("n1", FENCE, "danger\n");
    const seen: GateRequest[] = [];
    const declined = await undo(runId, recording(seen, no));
    expect(seen.map((r) => [r.step.id, r.confirm, r.step.warning])).toEqual([
      ["apply-x", "node-name", "reverting x is dangerous now (after write-b)"],
    ]);
    expect(seen[0]?.step.reason).toBe("revert x; the fence says danger");
    // write-b was undone before the gate; the run is not undone and the rest can still be undone.
    expect(declined.outcome).toBe("rollback-incomplete");
    expect(declined.steps.map((s) => `${s.id}:${s.status}`)).toEqual([
      "write-b:undone",
      "apply-x:skipped",
      "write-a:pending",
    ]);
    expect(cluster.log.filter((l) => l.command.startsWith("demo-revert"))).toEqual([]);
    const text = renderRunResult(declined, "text", { color: false, target: "--lab" });
    expect(text).toContain(`undo:    pvefix undo ${runId} --lab`);

    const again = await undo(runId);
    expect(again.outcome).toBe("undone");
    expect(again.steps.map((s) => s.id)).toEqual(["apply-x", "write-a"]);
    expect(cluster.file("n1", A)).toBe("old a\n");
  });

  it("runs an unattended undo only when every undo step is safe, and stops with exit 4 otherwise", async () => {
    const guarded = await doneRun({ risk: "guarded" });
    const from = cluster.log.length;
    const stopped = await undo(guarded, no, "unattended");
    expect(stopped.outcome).toBe("needs-human");
    expect(exitCodeFor(stopped.outcome)).toBe(4);
    expect(stopped.plan?.steps.map((s) => s.risk)).toEqual(["safe", "guarded", "safe"]);
    expect(changesSince(from)).toEqual([]);
    const text = renderRunResult(stopped, "text", { color: false, target: "--lab" });
    expect(text).toContain(`pvefix undo ${guarded} --lab`);
    expect(text).not.toContain("pvefix run demo");

    const safe = await doneRun();
    expect((await undo(safe, no, "unattended")).outcome).toBe("undone");
  });
});

describe("undo compares each file it restores with what the run left", () => {
  it("refuses an unattended undo over another writer's change, naming file, node and both sha256", async () => {
    const runId = await doneRun();
    cluster.file("n2", B, "someone else's b\n");
    const from = cluster.log.length;
    const refused = await undo(runId, yes, "unattended");
    expect(refused.outcome).toBe("refused");
    expect(refused.refusal?.code).toBe("file-changed");
    expect(refused.refusal?.node).toBe("n2");
    expect(refused.refusal?.detail).toContain(
      `n2:${B} changed since run ${runId} left it (expected sha256 ${sha("new b\n")}, found ${sha("someone else's b\n")})`,
    );
    expect(changesSince(from)).toEqual([]);
    expect(cluster.file("n2", B)).toBe("someone else's b\n");
  });

  it("asks interactively with the diff, and keeps the overwritten bytes in the undo's journal", async () => {
    const runId = await doneRun();
    cluster.file("n2", B, "someone else's b\n");
    const seen: GateRequest[] = [];
    const declined = await undo(runId, recording(seen, no));
    expect(declined.outcome).toBe("declined");
    expect(exitCodeFor(declined.outcome)).toBe(1);
    expect(seen.map((r) => [r.step.id, r.confirm])).toEqual([["write-b", "yes"]]);
    expect(seen[0]?.step.warning).toContain(`-new b\n+someone else's b`);
    expect(cluster.file("n2", B)).toBe("someone else's b\n");

    const done = await undo(runId);
    expect(done.outcome).toBe("undone");
    expect(cluster.file("n2", B)).toBe("old b\n");
    const kept = readJournal(stateDir, done.runId!).find((e) => e.type === "backup");
    expect(kept).toMatchObject({ node: "n2", path: B, sha256: sha("someone else's b\n") });
  });

  it("accepts a file an earlier undo already put back", async () => {
    const runId = await doneRun();
    cluster.file("n2", B, "old b\n");
    const plan = await planUndo({ ...target(), runId, runbookFor: () => demo });
    expect(plan.drift).toEqual([]);
    expect(plan.plan.unattended.eligible).toBe(true);
  });
});

describe("a failed undo stays retryable", () => {
  it("is not marked undone, and a second undo does only what is left", async () => {
    const runId = await doneRun();
    cluster.failOn("demo-revert", { exitCode: 1, stderr: "revert failed" });
    const failed = await undo(runId);
    expect(failed.outcome).toBe("rollback-incomplete");
    expect(exitCodeFor(failed.outcome)).toBe(5);
    expect(failed.steps.map((s) => `${s.id}:${s.status}`)).toEqual([
      "write-b:undone",
      "apply-x:undo-failed",
      "write-a:undone",
    ]);
    expect(summarizeRun(readJournal(stateDir, runId)).undoneBy).toBeNull();
    // The hint names the run to undo again, not the undo run.
    const text = renderRunResult(failed, "text", { color: false });
    expect(text).toContain(`undo:    pvefix undo ${runId}`);
    expect(text).not.toContain(`pvefix undo ${failed.runId}`);

    const retried = await undo(runId);
    expect(retried.outcome).toBe("undone");
    expect(retried.steps.map((s) => s.id)).toEqual(["apply-x"]);
    expect(cluster.log.filter((l) => l.command === "demo-revert x")).toHaveLength(2);
    expect(summarizeRun(readJournal(stateDir, runId)).undoneBy).toBe(retried.runId);
    await expect(undo(runId)).rejects.toMatchObject({ code: "PVEFIX_NOTHING_TO_UNDO" });
  });

  it("is itself not undoable: its failed step has nothing to undo, so nothing runs and nothing says undone", async () => {
    const runId = await doneRun();
    cluster.failOn("demo-revert", { exitCode: 1, stderr: "revert failed" });
    const failed = await undo(runId);
    expect(failed.outcome).toBe("rollback-incomplete");
    await expect(
      planUndo({ ...target(), runId: failed.runId!, runbookFor: () => demo }),
    ).rejects.toMatchObject({
      code: "PVEFIX_NOTHING_TO_UNDO",
    });
    await expect(undo(failed.runId!)).rejects.toMatchObject({ code: "PVEFIX_NOTHING_TO_UNDO" });
    expect(summarizeRun(readJournal(stateDir, failed.runId!)).undoneBy).toBeNull();
  });
});
