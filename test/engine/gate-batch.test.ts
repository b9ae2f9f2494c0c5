/**
 * One typed answer for a node's run of dangerous steps (restart-pve-services --with-ha plans 14 of
 * them): the gate gets the batch, an answer with `batch: true` approves all of it, and each step
 * still has its own gate entry in the journal.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Gate, GateRequest } from "../../src/engine/apply.js";
import { readJournal } from "../../src/engine/journal.js";
import type { Risk } from "../../src/engine/model.js";
import { defineRunbook } from "../../src/engine/runbook.js";
import { runRunbook } from "../../src/engine/session.js";
import { FakeCluster } from "./fake-cluster.js";
import { testMeta } from "./test-meta.js";

const step = (id: string, node: string, risk: Risk) => ({
  id,
  title: `step ${id}`,
  node,
  risk,
  reason: "r",
  actions: [{ kind: "exec" as const, command: `true ${id}` }],
  undo: { kind: "none" as const, reason: "nothing" },
});

const rb = defineRunbook({
  meta: testMeta("batch", "dangerous", "never"),
  params: z.object({}),
  examples: [],
  async probe() {
    return {};
  },
  decide: () => ({
    kind: "plan",
    plan: {
      summary: "four dangerous steps on n1, a guarded one, one dangerous on n2",
      steps: [
        step("a", "n1", "dangerous"),
        step("b", "n1", "dangerous"),
        step("c", "n1", "dangerous"),
        step("d", "n1", "guarded"),
        step("e", "n1", "dangerous"),
        step("f", "n2", "dangerous"),
      ],
    },
  }),
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(gate: Gate) {
  const stateDir = mkdtempSync(join(tmpdir(), "pvefix-batch-"));
  dirs.push(stateDir);
  const result = await runRunbook({
    transport: new FakeCluster(["n1", "n2"]),
    nodes: ["n1", "n2"],
    cluster: "demo",
    runbook: rb,
    rawParams: {},
    stateDir,
    mode: "interactive",
    gate,
  });
  const gates = readJournal(stateDir, result.runId!).flatMap((e) =>
    e.type === "gate" ? [[e.stepId, e.approved, e.answer]] : [],
  );
  return { result, gates };
}

describe("a batch answer at a dangerous gate", () => {
  it("offers the dangerous steps that follow on the same node, and approves them with one answer", async () => {
    const asked: GateRequest[] = [];
    const { result, gates } = await run(async (request) => {
      asked.push(request);
      return { approved: true, answer: request.step.node, batch: true };
    });
    expect(result.outcome).toBe("done");
    expect(asked.map((r) => [r.step.id, (r.batch ?? []).map((s) => s.id)])).toEqual([
      ["a", ["a", "b", "c"]],
      ["d", ["d"]],
      ["e", ["e"]],
      ["f", ["f"]],
    ]);
    expect(gates).toEqual([
      ["a", true, "n1"],
      ["b", true, "n1 (approved with step a for 3 steps)"],
      ["c", true, "n1 (approved with step a for 3 steps)"],
      ["d", true, "n1"],
      ["e", true, "n1"],
      ["f", true, "n2"],
    ]);
  });

  it("still asks step by step when the answer does not take the batch", async () => {
    const asked: string[] = [];
    const { result } = await run(async (request) => {
      asked.push(request.step.id);
      return { approved: true, answer: request.step.node };
    });
    expect(result.outcome).toBe("done");
    expect(asked).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("approves nothing of the batch when the answer declines", async () => {
    const { result, gates } = await run(async () => ({ approved: false, answer: "no", batch: true }));
    expect(result.outcome).toBe("declined");
    expect(result.steps.map((s) => s.status)).toEqual(Array(6).fill("skipped"));
    expect(gates).toEqual([["a", false, "no"]]);
  });
});
