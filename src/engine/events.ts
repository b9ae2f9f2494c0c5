/**
 * The engine emits events; the progress UI, the journal and JSON-lines output listen.
 * A listener is a set of optional hooks. The engine never imports listr2 or inquirer.
 */
import type { CommandResult } from "../transport/types.js";
import type { Check, Plan, RunOutcome, Step, StepStatus } from "./model.js";

export type CommandPhase = "probe" | "backup" | "step" | "verify" | "undo" | "lock";

export interface EngineListener {
  onProbeStart?(info: { runbook: string }): void;
  onProbeEnd?(info: { runbook: string; ok: boolean }): void;
  onCommand?(info: { phase: CommandPhase; stepId?: string; result: CommandResult; expected?: boolean }): void;
  onStepStart?(step: Step, index: number, plan: Plan): void;
  onStepEnd?(step: Step, status: StepStatus, error?: string): void;
  onCheck?(check: Check, ok: boolean, detail: string): void;
  onUndoStart?(step: Step): void;
  onUndoEnd?(step: Step, ok: boolean, error?: string): void;
  onRunEnd?(outcome: RunOutcome): void;
}

/** Fan one event out to many listeners. */
export function combineListeners(...listeners: Array<EngineListener | undefined>): Required<EngineListener> {
  const present = listeners.filter((l): l is EngineListener => l !== undefined);
  const fire =
    <K extends keyof EngineListener>(key: K) =>
    (...args: Parameters<Required<EngineListener>[K]>) => {
      for (const l of present) (l[key] as ((...a: typeof args) => void) | undefined)?.(...args);
    };
  return {
    onProbeStart: fire("onProbeStart"),
    onProbeEnd: fire("onProbeEnd"),
    onCommand: fire("onCommand"),
    onStepStart: fire("onStepStart"),
    onStepEnd: fire("onStepEnd"),
    onCheck: fire("onCheck"),
    onUndoStart: fire("onUndoStart"),
    onUndoEnd: fire("onUndoEnd"),
    onRunEnd: fire("onRunEnd"),
  };
}
