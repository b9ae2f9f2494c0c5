/**
 * What the executor carries through a run: transport, journal, backups and listeners, plus the
 * single routine that performs one Action. Mutating commands are never retried here.
 */

import { EXIT } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";
import { TransportError } from "../transport/errors.js";
import { writeFileAtomic } from "../transport/files.js";
import {
  type CommandResult,
  DEFAULT_TIMEOUT_MS,
  describeFailure,
  type Transport,
} from "../transport/types.js";
import { type BackupStore, restoreFile } from "./backup.js";
import type { CommandPhase, EventStream } from "./events.js";
import type { Action, Check, Step } from "./model.js";
import { REDACTED } from "./redact.js";
import type { AnyRunbook, CheckResult, ProbeContext } from "./runbook.js";

export interface Execution {
  runId: string;
  transport: Transport;
  /** Where every record of the run goes: the journal first, then the listeners. */
  events: EventStream;
  runbook: AnyRunbook;
  backups: BackupStore;
  /** Read-only context for probes and checks; its commands are recorded in `reading`'s phase. */
  checkContext: ProbeContext;
  /** What the check context's commands belong to: probing, or a check verifying a step or the run. */
  reading: { phase: "probe" | "verify"; stepId?: string };
}

/** Caught by the executor: the step failed, and rollback follows. */
export class ActionError extends PvefixError {
  override readonly name = "ActionError";
  readonly code = "PVEFIX_ACTION_FAILED";
  constructor(
    message: string,
    /** True when the node may or may not have done it (timeout, lost connection). */
    readonly outcomeUnknown: boolean,
  ) {
    super(message, { exitCode: EXIT.failed, internal: true });
  }
}

/** `expected`: a non-zero exit that answers a question rather than failing (see the journal's `command`). */
export function recorder(ex: Execution, phase: CommandPhase, stepId?: string) {
  return (result: CommandResult, expected = false) => {
    const mark = expected && result.exitCode !== 0 ? { expected: true } : {};
    ex.events.emit({ type: "command", phase, ...(stepId ? { stepId } : {}), result, ...mark });
  };
}

export async function runAction(
  ex: Execution,
  step: Step,
  action: Action,
  phase: "step" | "undo",
): Promise<void> {
  const record = recorder(ex, phase, step.id);
  // Actions read back from a record (an undo from the journal) have their secrets replaced:
  // running `mount -o password=[REDACTED]` or writing that text would break what it touches.
  const text = action.kind === "exec" ? action.command : action.kind === "write-file" ? action.content : "";
  if (text.includes(REDACTED)) {
    throw new ActionError(
      `not run: this ${action.kind} action holds ${REDACTED} (it was read back from a redacted record)`,
      false,
    );
  }
  try {
    switch (action.kind) {
      case "exec": {
        if (action.skipIf) {
          const probe = await ex.transport.exec(step.node, action.skipIf, { timeoutMs: 10_000 });
          // Any exit is the check's answer; only a timeout or a lost connection is a failure.
          record(probe, !probe.timedOut && !probe.connectionLost);
          if (probe.exitCode === 0) return;
        }
        const result = await ex.transport.exec(step.node, action.command, {
          timeoutMs: action.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        });
        const ok = (action.okExitCodes ?? [0]).includes(result.exitCode ?? Number.NaN);
        record(result, ok);
        if (!ok || result.timedOut || result.connectionLost) {
          const output = (result.stderr || result.stdout).trim();
          throw new ActionError(
            `${describeFailure(result)}${output ? `\n${output}` : ""}`,
            result.timedOut || result.connectionLost,
          );
        }
        return;
      }
      case "write-file": {
        const results = await writeFileAtomic(ex.transport, step.node, action.path, action.content, {
          ...(action.mode ? { mode: action.mode } : {}),
        });
        for (const r of results) record(r);
        const failed = results.find((r) => r.failed);
        if (failed) throw new ActionError(`${describeFailure(failed)}\n${failed.stderr.trim()}`, false);
        return;
      }
      case "restore-file": {
        const backup = ex.backups.get(step.id, step.node, action.path);
        if (!backup)
          throw new ActionError(
            `no backup of ${action.path} on ${step.node} was taken by step ${step.id}`,
            false,
          );
        await restoreFile(ex.transport, backup, record);
        return;
      }
    }
  } catch (error) {
    if (error instanceof ActionError) throw error;
    if (error instanceof TransportError) throw new ActionError(error.message, false);
    throw new ActionError((error as Error).message, true);
  }
}

/**
 * Run one check (a step's `verify`, or a postcondition when `stepId` is absent), polling until it
 * holds or its wait time is over. Its reads and its verdict are the run's verify phase.
 */
export async function runCheck(ex: Execution, check: Check, stepId?: string): Promise<CheckResult> {
  const previous = ex.reading;
  ex.reading = { phase: "verify", ...(stepId ? { stepId } : {}) };
  try {
    const result = await pollCheck(ex, check);
    ex.events.emit({
      type: "check",
      phase: "verify",
      ...(stepId ? { stepId } : {}),
      check,
      ok: result.ok,
      detail: result.detail,
    });
    return result;
  } finally {
    ex.reading = previous;
  }
}

async function pollCheck(ex: Execution, check: Check): Promise<CheckResult> {
  const fn = ex.runbook.checks?.[check.name];
  if (!fn) return { ok: false, detail: `runbook ${ex.runbook.meta.id} has no check named ${check.name}` };
  const deadline = Date.now() + (check.waitMs ?? 0);
  for (;;) {
    let result: CheckResult;
    try {
      result = await fn(ex.checkContext, check);
    } catch (error) {
      result = { ok: false, detail: (error as Error).message };
    }
    if (result.ok || Date.now() >= deadline) return result;
    await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(50, deadline - Date.now()))));
  }
}
