/**
 * The public operations: plan, run, apply a saved plan, undo a run. Each one takes the cluster
 * lock, writes a journal through its event stream, and returns one result shape whatever
 * happened. Each lives in its own module under operations/; this is their one front door.
 */

// exitCodeFor comes from the one exit code table (src/errors/exit-codes.ts).
export { exitCodeFor } from "../errors/exit-codes.js";
export { type ApplySavedOptions, applySavedPlan, loadSavedPlan } from "./operations/apply-saved.js";
export type { ClusterTarget, RunResult } from "./operations/frame.js";
export { planOnly } from "./operations/plan.js";
export { type RunOptions, runRunbook } from "./operations/run.js";
export { planUndo, type UndoOptions, undoRun } from "./operations/undo.js";
export { type LastUndoable, lastUndoableRun } from "./operations/undo-subject.js";
export { stepsStillInPlace, type UndoPlan } from "./undo-plan.js";
