/**
 * pvefix public API: load a runbook, plan, run, apply a saved plan, undo a run, diagnose.
 * The CLI is one client of this API.
 */
export { runbookById, runbooks } from "../runbooks/index.js";
export type { ApplyResult, Gate, GateAnswer, GateRequest, StepReport } from "./engine/apply.js";
export { diagnose } from "./engine/diagnose.js";
export { EngineError, InputError } from "./engine/errors.js";
export type { EngineListener } from "./engine/events.js";
export { listRuns, readJournal, summarizeRun } from "./engine/journal.js";
export * from "./engine/model.js";
export type { AnyRunbook, ProbeContext, Runbook, RunbookMeta, UndoContext } from "./engine/runbook.js";
export { defineRunbook } from "./engine/runbook.js";
export {
  applySavedPlan,
  exitCodeFor,
  loadSavedPlan,
  planOnly,
  planUndo,
  type RunResult,
  runRunbook,
  type UndoOptions,
  type UndoPlan,
  undoRun,
} from "./engine/session.js";
export type { FileDrift } from "./engine/undo-plan.js";
export { Inventory } from "./inventory/schema.js";
export { TransportError } from "./transport/errors.js";
export type { CommandResult, Transport } from "./transport/types.js";
