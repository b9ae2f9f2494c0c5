/**
 * One event stream. The engine emits each event once, to an EventStream; the journal is its first
 * sink (an event the journal cannot keep stops the run before anyone else hears it), then the
 * listeners: the progress display, the JSON-lines output. A listener is a set of optional hooks;
 * the engine never imports listr2 or inquirer.
 */
import type { CommandResult } from "../transport/types.js";
import { JournalWriteError } from "./errors.js";
import type { Journal, JournalEntry, JournalEntryInput } from "./journal.js";
import type { Check, Plan, RunOutcome, Step, StepStatus } from "./model.js";
import { redactDeep } from "./redact.js";

export type CommandPhase = "probe" | "backup" | "step" | "verify" | "undo" | "lock";

/** Events only the live stream carries: where probing starts and ends (the journal has its commands and `facts`). */
export type TransientEvent =
  | { type: "probe-start"; runbook: string }
  | { type: "probe-end"; runbook: string; ok: boolean };

/** What the engine emits: every journal entry, plus the transient events. */
export type EngineEvent = JournalEntryInput | TransientEvent;
/** An event as the sinks receive it: stamped with its time, secrets redacted (as the journal keeps it). */
export type StreamEvent = JournalEntry | (TransientEvent & { time: string });

/** The event types, in the order a run may emit them (for docs and the JSON-lines consumer). */
export const EVENT_TYPES = [
  "run-start",
  "probe-start",
  "command",
  "probe-end",
  "facts",
  "decision",
  "gate",
  "step-start",
  "backup",
  "check",
  "file-state",
  "step-end",
  "undo-start",
  "undo-end",
  "run-end",
] as const satisfies ReadonlyArray<StreamEvent["type"]>;

export interface EngineListener {
  /** Every event, once, in order, as the journal recorded it: what `-o jsonl` prints. */
  onEvent?(event: StreamEvent): void;
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
    onEvent: fire("onEvent"),
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

/** Where the engine emits. Code that only records (backups, file states) takes this much. */
export interface EventSink {
  emit(event: EngineEvent): void;
}

/**
 * The stream of one operation. `journal` is null for the operations that write none (plan,
 * undo --plan, diagnose): their events reach the listeners only.
 */
export class EventStream implements EventSink {
  /** The plan whose steps the hooks name: the last plan decision (an undo's own plan for an undo). */
  private plan: Plan | undefined;
  readonly listener: Required<EngineListener>;

  constructor(
    private readonly journal: Journal | null,
    ...listeners: Array<EngineListener | undefined>
  ) {
    this.listener = combineListeners(...listeners);
  }

  /** Journal first: a failed write throws JournalWriteError and no other sink hears the event. */
  emit(event: EngineEvent): void {
    const stamped = this.journal && !isTransient(event) ? this.journal.record(event) : stamp(event);
    this.forward(stamped);
  }

  /**
   * For records that must not stop a run when the journal cannot keep them (lock bookkeeping, the
   * run's end after an earlier write failed). Returns whether the event reached the journal; the
   * listeners hear it either way, since it happened.
   */
  tryEmit(event: EngineEvent): boolean {
    try {
      this.emit(event);
      return true;
    } catch (error) {
      if (!(error instanceof JournalWriteError)) throw error;
      this.forward(stamp(event));
      return false;
    }
  }

  /**
   * The barrier before a command reaches a node: resolves once every entry so far is in the
   * journal's mirror (a fleet's PostgreSQL), so what another worker reads there is never behind
   * what a node was sent. Rejects when the mirror cannot be reached. Without a mirror: at once.
   */
  async flush(): Promise<void> {
    await this.journal?.mirror?.flush();
  }

  /** Hand an event the journal already holds (the run-start `Journal.create` wrote) to the listeners. */
  forward(event: StreamEvent): void {
    const l = this.listener;
    l.onEvent(event);
    switch (event.type) {
      case "probe-start":
        l.onProbeStart({ runbook: event.runbook });
        return;
      case "probe-end":
        l.onProbeEnd({ runbook: event.runbook, ok: event.ok });
        return;
      case "command":
        l.onCommand({
          phase: event.phase as CommandPhase,
          ...(event.stepId ? { stepId: event.stepId } : {}),
          result: event.result,
          ...(event.expected ? { expected: true } : {}),
        });
        return;
      case "decision":
        if (event.plan) this.plan = event.plan;
        return;
      case "step-start": {
        const steps = this.plan?.steps ?? [];
        const index = steps.findIndex((s) => s.id === event.stepId);
        if (this.plan && index >= 0) l.onStepStart(steps[index]!, index, this.plan);
        return;
      }
      case "step-end": {
        const step = this.step(event.stepId);
        if (step) l.onStepEnd(step, event.status, event.error);
        return;
      }
      case "check":
        l.onCheck(event.check, event.ok, event.detail);
        return;
      case "undo-start": {
        const step = this.step(event.stepId);
        if (step) l.onUndoStart(step);
        return;
      }
      case "undo-end": {
        const step = this.step(event.stepId);
        if (step) l.onUndoEnd(step, event.ok, event.error);
        return;
      }
      case "run-end":
        l.onRunEnd(event.outcome);
        return;
      default:
        return;
    }
  }

  private step(id: string): Step | undefined {
    return this.plan?.steps.find((s) => s.id === id);
  }
}

function isTransient(event: EngineEvent): event is TransientEvent {
  return event.type === "probe-start" || event.type === "probe-end";
}

function stamp(event: EngineEvent): StreamEvent {
  return redactDeep({ ...event, time: new Date().toISOString() }) as StreamEvent;
}
