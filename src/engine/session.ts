/**
 * The public operations: plan, run, apply a saved plan, undo a run. Each one takes the cluster
 * lock, writes a journal through its event stream, and returns one result shape whatever
 * happened. Each lives in its own module under operations/; this is their one front door.
 */
import type { RunOutcome } from "./model.js";

export { type ApplySavedOptions, applySavedPlan, loadSavedPlan } from "./operations/apply-saved.js";
export type { ClusterTarget, RunResult } from "./operations/frame.js";
export { planOnly } from "./operations/plan.js";
export { type RunOptions, runRunbook } from "./operations/run.js";
export { planUndo, type UndoOptions, undoRun } from "./operations/undo.js";
export { stepsStillInPlace, type UndoPlan } from "./undo-plan.js";

/** Exit codes of design.md, by outcome. The CLI maps errors; outcomes map here. */
export function exitCodeFor(outcome: RunOutcome): number {
  switch (outcome) {
    case "done":
    case "nothing-to-do":
    case "undone":
      return 0;
    case "failed-rolled-back":
    case "declined":
      return 1;
    case "refused":
      return 3;
    case "needs-human":
      return 4;
    case "rollback-incomplete":
    case "interrupted":
      return 5;
  }
}
