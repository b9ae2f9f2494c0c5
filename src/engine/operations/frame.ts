/**
 * The frame every mutating operation runs in (`withRun`): the state lock, the journal, the event
 * stream, the probe context, and the run's end. Plus what the operations share around it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { exitCodeFor } from "../../errors/exit-codes.js";
import type { CommandResult, Transport } from "../../transport/types.js";
import type { Gate, StepReport } from "../apply.js";
import { BackupStore } from "../backup.js";
import { EngineError, JournalWriteError } from "../errors.js";
import { type EngineListener, EventStream } from "../events.js";
import type { Execution } from "../execution.js";
import { Journal, runsDir, unusedRunId } from "../journal.js";
import { type RunJournals, stateDirJournals } from "../journal-store.js";
import { acquireStateLock, stateDirFault } from "../lock.js";
import type { Plan, Refusal, RunMode, RunOutcome, Step } from "../model.js";
import { createProbeContext } from "../probe-context.js";
import type { AnyRunbook } from "../runbook.js";

export interface ClusterTarget {
  transport: Transport;
  nodes: readonly string[];
  cluster: string;
  /** The inventory file this target came from, recorded in the journal so `undo` can say which -i to pass. */
  inventoryPath?: string;
  /** The Ansible group that picked the cluster in that inventory (`--group`), for the same reason. */
  inventoryGroup?: string;
}

export interface RunResult {
  runId: string | null;
  runbook: string;
  outcome: RunOutcome;
  params: Record<string, unknown>;
  plan?: Plan;
  refusal?: Refusal;
  reason?: string;
  steps: StepReport[];
  error?: string;
  touchedFiles: Array<{ node: string; path: string }>;
  /** For an undo: the run it undoes (the one to name in `pvefix undo` again). */
  undoOf?: string;
}

export type BodyResult = Omit<RunResult, "runId" | "runbook" | "params">;
type Body = (ex: Execution) => Promise<BodyResult>;

export function nodesOf(steps: readonly Step[]): string[] {
  return [...new Set(steps.map((s) => s.node))];
}

/** Where an operation reads other runs and copies its own journal: the state directory unless told. */
export function journalsOf(o: { stateDir: string; journals?: RunJournals | undefined }): RunJournals {
  return o.journals ?? stateDirJournals(o.stateDir);
}

/** Lock bookkeeping is evidence, not state: a full state disk must not stop the release. */
export function lockRecorder(ex: Execution) {
  return (result: CommandResult) => {
    ex.events.tryEmit({ type: "command", phase: "lock", result });
  };
}

/**
 * A run whose journal cannot even be started has not run: the state directory is at fault (exit 2),
 * and the torn start is removed so `pvefix runs` does not trip over it.
 */
function createJournal(
  stateDir: string,
  start: Parameters<typeof Journal.create>[1],
  journals: RunJournals,
): Journal {
  try {
    return Journal.create(stateDir, start, journals.mirror);
  } catch (error) {
    const fault = stateDirFault(stateDir, error instanceof JournalWriteError ? error.cause : error);
    if (!fault) throw error;
    fs.rmSync(path.join(runsDir(stateDir), `${start.runId}.jsonl`), { force: true });
    throw fault;
  }
}

/**
 * The end reaches the mirror before the operation returns when it can; when it cannot, the mirror
 * keeps it and copies it once its database is back: the run's outcome does not wait for that.
 */
async function settle(events: EventStream): Promise<void> {
  await events.flush().catch(() => undefined);
}

/** Common frame of every mutating operation: state lock, journal, event stream, probe context, run-end. */
export async function withRun(
  options: ClusterTarget & {
    stateDir: string;
    listener?: EngineListener;
    gate: Gate;
    signal?: AbortSignal;
    runId?: string;
    /** Recorded in the run-start entry: what started this run and the policy's verdict (`pvefix serve`). */
    trigger?: Record<string, unknown>;
    /** Other runs' journals and the mirror of this one (a fleet's PostgreSQL); the state directory by default. */
    journals?: RunJournals;
  },
  runbook: AnyRunbook,
  params: Record<string, unknown>,
  mode: RunMode,
  body: Body,
): Promise<RunResult> {
  const runId = unusedRunId(options.stateDir, runbook.meta.id);
  const lock = acquireStateLock(options.stateDir, options.cluster, runId);
  try {
    const journal = createJournal(
      options.stateDir,
      {
        runId,
        runbook: runbook.meta.id,
        mode,
        params,
        cluster: options.cluster,
        transport: options.transport.kind,
        ...(options.inventoryPath ? { inventory: options.inventoryPath } : {}),
        ...(options.inventoryGroup !== undefined ? { inventoryGroup: options.inventoryGroup } : {}),
        ...(mode === "undo" && typeof options.runId === "string" ? { undoOf: options.runId } : {}),
        ...(options.trigger ? { trigger: options.trigger } : {}),
      },
      journalsOf(options),
    );
    const events = new EventStream(journal, options.listener);
    if (journal.start) events.forward(journal.start);
    const ex: Execution = {
      runId,
      transport: options.transport,
      events,
      runbook,
      backups: new BackupStore(),
      reading: { phase: "probe" },
      checkContext: createProbeContext({
        transport: options.transport,
        nodes: options.nodes,
        cluster: options.cluster,
        stateDir: options.stateDir,
        onCommand: (result) => {
          const { phase, stepId } = ex.reading;
          events.emit({ type: "command", phase, ...(stepId ? { stepId } : {}), result });
        },
      }),
    };
    let result: BodyResult;
    try {
      result = await body(ex);
    } catch (error) {
      // A lock held elsewhere is a guard saying no; anything else failed before the first change.
      const locked = error instanceof EngineError && error.code === "PVEFIX_LOCKED";
      // A journal that cannot be written stopped the run mid-way: say so, do not claim a rollback.
      const stopped = error instanceof JournalWriteError;
      const outcome: RunOutcome = locked ? "refused" : stopped ? "interrupted" : "failed-rolled-back";
      // The original error says why; a second journal failure adds nothing.
      events.tryEmit({
        type: "run-end",
        outcome,
        exitCode: exitCodeFor(outcome),
        message: (error as Error).message,
      });
      await settle(events);
      throw error;
    }
    events.tryEmit({
      type: "run-end",
      outcome: result.outcome,
      exitCode: exitCodeFor(result.outcome),
      ...(result.error ? { message: result.error } : {}),
    });
    await settle(events);
    return { runId, runbook: runbook.meta.id, params, ...result };
  } finally {
    lock.release();
  }
}
