import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Gate } from "../../src/engine/apply.js";
import { JournalWriteError } from "../../src/engine/errors.js";
import { type EngineListener, EVENT_TYPES, EventStream, type StreamEvent } from "../../src/engine/events.js";
import { Journal, readJournal } from "../../src/engine/journal.js";
import { defineRunbook } from "../../src/engine/runbook.js";
import { runRunbook, undoRun } from "../../src/engine/session.js";
import { FakeCluster } from "./fake-cluster.js";
import { testMeta } from "./test-meta.js";

const A = "/etc/demo/a.conf";

/** One file edit checked by its step's verify, then a postcondition over the whole run. */
const checked = defineRunbook({
  meta: testMeta("checked", "safe", "eligible"),
  params: z.object({ postconditionHolds: z.boolean().default(true) }),
  examples: [],
  async probe(ctx) {
    return { a: await ctx.readFile("n1", A) };
  },
  decide(params) {
    return {
      kind: "plan",
      plan: {
        summary: "rewrite a",
        steps: [
          {
            id: "write-a",
            title: "write a",
            node: "n1",
            risk: "guarded",
            reason: "r",
            files: [A],
            actions: [{ kind: "write-file", path: A, content: "new a\n" }],
            undo: { kind: "actions", description: "restore a", actions: [{ kind: "restore-file", path: A }] },
            verify: [{ name: "a-written", node: "n1", description: "a.conf holds the new text", args: {} }],
          },
        ],
        postconditions: [
          {
            name: "all-good",
            node: "n1",
            description: "the run's goal holds",
            args: { holds: params.postconditionHolds },
          },
        ],
      },
    };
  },
  checks: {
    "a-written": async (ctx) => {
      const now = await ctx.readFile("n1", A);
      return { ok: now === "new a\n", detail: JSON.stringify(now) };
    },
    "all-good": async (_ctx, check) =>
      check.args.holds === true ? { ok: true, detail: "holds" } : { ok: false, detail: "does not hold" },
  },
});

const yes: Gate = async () => ({ approved: true, answer: "yes" });

let stateDir: string;
let cluster: FakeCluster;
beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-events-"));
  cluster = new FakeCluster(["n1"]);
  cluster.file("n1", A, "old a\n");
});

function collect(): { events: StreamEvent[]; hooks: string[]; listener: EngineListener } {
  const events: StreamEvent[] = [];
  const hooks: string[] = [];
  return {
    events,
    hooks,
    listener: {
      onEvent: (e) => events.push(e),
      onStepStart: (step, index, plan) =>
        hooks.push(`step-start ${step.id} ${index + 1}/${plan.steps.length}`),
      onStepEnd: (step, status) => hooks.push(`step-end ${step.id} ${status}`),
      onCheck: (check, ok) => hooks.push(`check ${check.name} ${ok}`),
      onUndoStart: (step) => hooks.push(`undo-start ${step.id}`),
      onUndoEnd: (step, ok) => hooks.push(`undo-end ${step.id} ${ok}`),
      onRunEnd: (outcome) => hooks.push(`run-end ${outcome}`),
    },
  };
}

const base = () => ({ transport: cluster, nodes: ["n1"], cluster: "demo", stateDir, gate: yes });
const journaled = (events: StreamEvent[]) =>
  events.filter((e) => e.type !== "probe-start" && e.type !== "probe-end");

describe("one event stream", () => {
  it("gives the listeners exactly the journal's entries, in the journal's order", async () => {
    const seen = collect();
    const result = await runRunbook({
      ...base(),
      runbook: checked,
      rawParams: {},
      mode: "interactive",
      listener: seen.listener,
    });
    expect(result.outcome).toBe("done");
    const journal = readJournal(stateDir, result.runId!);
    expect(journaled(seen.events)).toEqual(journal);
    expect(seen.events.map((e) => e.type).slice(0, 3)).toEqual(["run-start", "probe-start", "command"]);
    expect(seen.events.at(-1)?.type).toBe("run-end");
    // The documented list (docs/cli.md) names every type a run emits.
    for (const e of seen.events) expect(EVENT_TYPES).toContain(e.type);
    expect(seen.hooks).toEqual([
      "step-start write-a 1/1",
      "check a-written true",
      "step-end write-a done",
      "check all-good true",
      "run-end done",
    ]);
  });

  it("records the verify phase: each check's verdict and the reads it made", async () => {
    const result = await runRunbook({ ...base(), runbook: checked, rawParams: {}, mode: "interactive" });
    const journal = readJournal(stateDir, result.runId!);
    const checks = journal.filter((e) => e.type === "check");
    expect(checks).toEqual([
      expect.objectContaining({ phase: "verify", stepId: "write-a", ok: true, detail: '"new a\\n"' }),
      expect.objectContaining({ phase: "verify", ok: true, detail: "holds" }),
    ]);
    expect(checks[1]).not.toHaveProperty("stepId");
    const types = journal.map((e) => e.type);
    // The step's check comes after its actions and before its end.
    expect(types.indexOf("check")).toBeGreaterThan(types.indexOf("step-start"));
    expect(types.indexOf("check")).toBeLessThan(types.indexOf("step-end"));
    const checkReads = journal.filter(
      (e) =>
        e.type === "command" &&
        e.phase === "verify" &&
        e.stepId === "write-a" &&
        e.result.command.includes(A),
    );
    expect(checkReads.length).toBeGreaterThan(0);
  });

  it("journals a failed postcondition and the rollback it causes, as the listeners saw them", async () => {
    const seen = collect();
    const result = await runRunbook({
      ...base(),
      runbook: checked,
      rawParams: { postconditionHolds: false },
      mode: "interactive",
      listener: seen.listener,
    });
    expect(result.outcome).toBe("failed-rolled-back");
    expect(journaled(seen.events)).toEqual(readJournal(stateDir, result.runId!));
    expect(seen.hooks).toEqual([
      "step-start write-a 1/1",
      "check a-written true",
      "step-end write-a done",
      "check all-good false",
      "undo-start write-a",
      "undo-end write-a true",
      "run-end failed-rolled-back",
    ]);
    expect(cluster.file("n1", A)).toBe("old a\n");
  });

  it("streams an undo's events as its journal records them", async () => {
    const done = await runRunbook({ ...base(), runbook: checked, rawParams: {}, mode: "interactive" });
    const seen = collect();
    const undone = await undoRun({
      ...base(),
      runId: done.runId!,
      runbookFor: () => checked,
      mode: "interactive",
      listener: seen.listener,
    });
    expect(undone.outcome).toBe("undone");
    expect(journaled(seen.events)).toEqual(readJournal(stateDir, undone.runId!));
    expect(seen.hooks).toEqual(["undo-start write-a", "undo-end write-a true", "run-end undone"]);
  });

  it("lets no listener hear an event the journal could not keep", () => {
    const journal = Journal.create(stateDir, {
      runId: "20261205T000000Z-checked-0000",
      runbook: "checked",
      mode: "interactive",
      params: {},
      cluster: "demo",
      transport: "fake",
    });
    const heard: string[] = [];
    const stream = new EventStream(journal, { onEvent: (e) => heard.push(e.type) });
    stream.emit({ type: "facts", facts: { ok: true } });
    fs.rmSync(path.join(stateDir, "runs"), { recursive: true });
    expect(() => stream.emit({ type: "step-start", stepId: "write-a" })).toThrow(JournalWriteError);
    expect(heard).toEqual(["facts"]);
    // Bookkeeping that must not stop a run is still heard, and says it was not journaled.
    expect(stream.tryEmit({ type: "run-end", outcome: "interrupted", exitCode: 5 })).toBe(false);
    expect(heard).toEqual(["facts", "run-end"]);
  });

  it("stamps and redacts the events of an operation without a journal", () => {
    const heard: StreamEvent[] = [];
    const stream = new EventStream(null, { onEvent: (e) => heard.push(e) });
    stream.emit({ type: "probe-start", runbook: "checked" });
    expect(heard[0]).toMatchObject({ type: "probe-start", runbook: "checked" });
    expect(Date.parse(heard[0]!.time)).not.toBeNaN();
  });
});
