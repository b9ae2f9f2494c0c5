import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../../src/engine/journal.js";
import type { Plan, Step } from "../../src/engine/model.js";
import { decideTakeover } from "../../src/serve/fleet/takeover-decision.js";

const T = "2026-12-05T06:00:00.000Z";

function step(id: string, idempotent?: boolean): Step {
  return {
    id,
    title: id,
    node: "pve1",
    risk: "safe",
    reason: "r",
    actions: [{ kind: "exec", command: `do ${id}` }],
    undo: { kind: "actions", description: "d", actions: [{ kind: "exec", command: `undo ${id}` }] },
    files: [],
    verify: [],
    ...(idempotent === undefined ? {} : { idempotent }),
  };
}

function journal(
  steps: Step[],
  events: Array<[string, string, string?]>,
  mode = "unattended",
): JournalEntry[] {
  const plan = { steps } as unknown as Plan;
  const out: JournalEntry[] = [
    {
      type: "run-start",
      time: T,
      runId: "R1",
      runbook: "demo",
      mode: mode as "unattended",
      params: {},
      cluster: "c",
      transport: "ssh",
      user: "u",
      host: "h",
      pid: 1,
      ...(mode === "undo" ? { undoOf: "R0" } : {}),
    },
  ];
  if (steps.length > 0) out.push({ type: "decision", time: T, kind: "plan", plan });
  for (const [type, stepId, status] of events) {
    if (type === "step-start") out.push({ type, time: T, stepId });
    if (type === "step-end") out.push({ type, time: T, stepId, status: (status ?? "done") as "done" });
    if (type === "undo-start") out.push({ type, time: T, stepId });
    if (type === "undo-end") out.push({ type, time: T, stepId, ok: status !== "failed" });
  }
  return out;
}

describe("what a worker does with a dead worker's run", () => {
  it("a run that died before it had a plan changed nothing: it is ended, nothing is sent", () => {
    expect(decideTakeover(journal([], []), "w1")).toMatchObject({ kind: "nothing", outcome: "interrupted" });
  });

  it("a run that died between steps is rolled back: every step journalled done", () => {
    const d = decideTakeover(
      journal(
        [step("a"), step("b"), step("c")],
        [
          ["step-start", "a"],
          ["step-end", "a"],
          ["step-start", "b"],
          ["step-end", "b"],
        ],
      ),
      "w1",
    );
    expect(d).toMatchObject({ kind: "roll-back", outcome: "interrupted", inPlace: ["a", "b"] });
    expect(d.message).toMatch(/worker w1 stopped beating/);
  });

  it("a step in flight that is not declared idempotent is never sent again nor undone: a human is paged", () => {
    for (const idempotent of [undefined, false]) {
      const d = decideTakeover(
        journal(
          [step("a"), step("b", idempotent)],
          [
            ["step-start", "a"],
            ["step-end", "a"],
            ["step-start", "b"],
          ],
        ),
        "w1",
      );
      expect(d).toMatchObject({ kind: "page", outcome: "rollback-incomplete", inFlight: ["b"] });
      expect(d.message).toMatch(/b was in flight: it may or may not have reached the node/);
      expect(d.message).toMatch(/pvefix undo R1/);
    }
  });

  it("an idempotent step in flight is rolled back with the steps before it", () => {
    const d = decideTakeover(
      journal(
        [step("a"), step("b", true)],
        [
          ["step-start", "a"],
          ["step-end", "a"],
          ["step-start", "b"],
        ],
      ),
      "w1",
    );
    expect(d).toMatchObject({ kind: "roll-back", inPlace: ["a", "b"] });
  });

  it("an undo in flight during the run's own rollback is paged", () => {
    const d = decideTakeover(
      journal(
        [step("a"), step("b", true)],
        [
          ["step-start", "a"],
          ["step-end", "a"],
          ["step-start", "b"],
          ["step-end", "b", "failed"],
          ["undo-start", "a"],
        ],
      ),
      "w1",
    );
    expect(d).toMatchObject({ kind: "page", inFlight: ["a"] });
  });

  it("a run whose steps were all undone by its own rollback has nothing in place", () => {
    const d = decideTakeover(
      journal(
        [step("a")],
        [
          ["step-start", "a"],
          ["step-end", "a"],
          ["undo-start", "a"],
          ["undo-end", "a"],
        ],
      ),
      "w1",
    );
    expect(d).toMatchObject({ kind: "nothing" });
  });

  it("an undo run that died is paged, naming the run to undo again", () => {
    const d = decideTakeover(journal([], [["undo-start", "a"]], "undo"), "w1");
    expect(d).toMatchObject({ kind: "page", outcome: "rollback-incomplete", inFlight: ["a"] });
    expect(d.message).toMatch(/pvefix undo R0 again/);
  });
});
