/**
 * Rollback: undo completed steps in reverse order. It keeps going after a failed undo so that as
 * much as possible is put back, and reports whether everything was.
 */
import { ActionError, type Execution, runAction } from "./execution.js";
import { runTakenOver } from "./journal-store.js";
import type { Step } from "./model.js";

export interface UndoReport {
  stepId: string;
  ok: boolean;
  error?: string;
}

export async function undoSteps(ex: Execution, steps: readonly Step[], of?: string): Promise<UndoReport[]> {
  const reports: UndoReport[] = [];
  for (const step of [...steps].reverse()) {
    reports.push(await undoStep(ex, step, of));
  }
  return reports;
}

export async function undoStep(ex: Execution, step: Step, of?: string): Promise<UndoReport> {
  ex.events.emit({ type: "undo-start", stepId: step.id, ...(of ? { of } : {}) });
  // An undo goes on without the mirror (it is what a worker cut off from the database must do):
  // its entries reach the copy when the database is back; undo actions are idempotent by design.
  // Only a run another worker has taken over sends nothing: that worker undoes it.
  const taken = await ex.events.flush().then(
    () => false,
    (e: unknown) => runTakenOver(e),
  );
  let error: string | undefined;
  if (taken) {
    error = "not sent: another worker took this run over and rolls it back";
  } else if (step.undo.kind === "irreversible") {
    error = `irreversible: ${step.undo.reason}`;
  } else if (step.undo.kind === "actions") {
    try {
      for (const action of step.undo.actions) await runAction(ex, step, action, "undo");
    } catch (e) {
      error = e instanceof ActionError ? e.message : String(e);
    }
  }
  const ok = error === undefined;
  ex.events.emit({
    type: "undo-end",
    stepId: step.id,
    ok,
    ...(error ? { error } : {}),
    ...(of ? { of } : {}),
  });
  return { stepId: step.id, ok, ...(error ? { error } : {}) };
}
