/**
 * The public operations: plan, run, apply a saved plan, undo a run. Each one takes the cluster
 * lock, writes a journal, and returns one result shape whatever happened.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import type { Transport } from "../transport/types.js";
import { type ApplyResult, applyPlan, type Gate, type StepReport } from "./apply.js";
import { BackupStore } from "./backup.js";
import { EngineError, JournalWriteError } from "./errors.js";
import { combineListeners, type EngineListener } from "./events.js";
import type { Execution } from "./execution.js";
import { diffFacts } from "./fingerprint.js";
import { Journal, readJournal, runsDir, summarizeRun, unusedRunId } from "./journal.js";
import { acquireNodeLocks, acquireStateLock, releaseNodeLocks, stateDirFault } from "./lock.js";
import {
  PLAN_FORMAT_VERSION,
  Plan,
  type Refusal,
  type RunMode,
  type RunOutcome,
  type Step,
} from "./model.js";
import { paramFlags, parseParams } from "./params.js";
import { type Planned, planRunbook } from "./plan.js";
import { createProbeContext } from "./probe-context.js";
import { type UndoReport, undoSteps } from "./rollback.js";
import type { AnyRunbook } from "./runbook.js";

export interface ClusterTarget {
  transport: Transport;
  nodes: readonly string[];
  cluster: string;
  /** The inventory file this target came from, recorded in the journal so `undo` can say which -i to pass. */
  inventoryPath?: string;
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
}

export interface RunOptions extends ClusterTarget {
  runbook: AnyRunbook;
  rawParams: Record<string, unknown>;
  stateDir: string;
  mode: "interactive" | "unattended";
  gate: Gate;
  listener?: EngineListener;
  signal?: AbortSignal;
}

/** Dry run: probe and decide. Changes nothing, writes no journal. */
export async function planOnly(
  options: ClusterTarget & {
    stateDir?: string;
    runbook: AnyRunbook;
    rawParams: Record<string, unknown>;
    listener?: EngineListener;
  },
): Promise<Planned> {
  const params = parseParams(options.runbook, options.rawParams);
  const listener = combineListeners(options.listener);
  const ctx = createProbeContext({
    ...options,
    memoize: true,
    onCommand: (result) => listener.onCommand({ phase: "probe", result }),
  });
  listener.onProbeStart({ runbook: options.runbook.meta.id });
  const planned = await planRunbook({ runbook: options.runbook, params, ctx });
  listener.onProbeEnd({ runbook: options.runbook.meta.id, ok: planned.kind !== "refusal" });
  return planned;
}

export async function runRunbook(options: RunOptions): Promise<RunResult> {
  const params = parseParams(options.runbook, options.rawParams);
  return withRun(options, options.runbook, params, options.mode, async (journal, ex) => {
    ex.listener.onProbeStart({ runbook: options.runbook.meta.id });
    const planned = await planRunbook({ runbook: options.runbook, params, ctx: ex.checkContext });
    ex.listener.onProbeEnd({ runbook: options.runbook.meta.id, ok: planned.kind !== "refusal" });
    journal.append({ type: "facts", facts: planned.facts });
    return executePlanned(options, planned, journal, ex);
  });
}

export interface ApplySavedOptions extends Omit<RunOptions, "runbook" | "rawParams"> {
  plan: unknown;
  runbookFor(id: string): AnyRunbook;
}

/** Apply a saved plan only if re-probed facts still match its fingerprint (Terraform's stale-plan rule). */
export async function applySavedPlan(options: ApplySavedOptions): Promise<RunResult> {
  const saved = loadSavedPlan(options.plan);
  const runbook = options.runbookFor(saved.runbook);
  const params = parseParams(runbook, saved.params);
  if (saved.cluster !== options.cluster) {
    throw new EngineError(
      "PVEFIX_STALE_PLAN",
      `Saved plan is for cluster ${saved.cluster}, not ${options.cluster}`,
      "point -i/--lab at the cluster the plan was made for",
    );
  }
  return withRun(options, runbook, params, "apply", async (journal, ex) => {
    const planned = await planRunbook({ runbook, params, ctx: ex.checkContext });
    journal.append({ type: "facts", facts: planned.facts });
    if (planned.kind !== "plan" || planned.plan.fingerprint !== saved.fingerprint) {
      const now = planned.kind === "plan" ? planned.plan.facts : refreshedFacts(runbook, planned.facts);
      const changes = diffFacts(saved.facts, now);
      const refusal: Refusal = {
        code: "stale-plan",
        message: "Saved plan is stale: the cluster changed after the plan was made",
        detail: [
          ...(changes.length > 0 ? changes.map((c) => `changed: ${c}`) : []),
          planned.kind === "refusal" ? `today the runbook refuses: ${planned.refusal.message}` : "",
          planned.kind === "nothing-to-do" ? `today there is nothing to do: ${planned.reason}` : "",
          `run \`pvefix plan ${saved.runbook} ${paramFlags(saved.params).join(" ")}\` again to get a fresh plan`,
        ]
          .filter(Boolean)
          .join("\n"),
      };
      return executePlanned(options, { kind: "refusal", refusal, facts: planned.facts }, journal, ex);
    }
    // Apply exactly what was reviewed: the saved steps, not the re-planned ones.
    return executePlanned(options, { kind: "plan", plan: saved, facts: planned.facts }, journal, ex);
  });
}

function refreshedFacts(runbook: AnyRunbook, facts: unknown): unknown {
  if (facts === null) return null;
  return runbook.stableFacts ? runbook.stableFacts(facts) : facts;
}

export function loadSavedPlan(raw: unknown): Plan {
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== PLAN_FORMAT_VERSION) {
    throw new EngineError(
      "PVEFIX_PLAN_FORMAT",
      `unsupported plan file format version ${JSON.stringify(version)}; only version ${PLAN_FORMAT_VERSION} is supported`,
    );
  }
  const parsed = Plan.safeParse(raw);
  if (!parsed.success) {
    throw new EngineError(
      "PVEFIX_PLAN_FORMAT",
      `the plan file is not a valid pvefix plan: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

export interface UndoOptions extends ClusterTarget {
  stateDir: string;
  runId: string;
  runbookFor(id: string): AnyRunbook;
  listener?: EngineListener;
}

/** Undo, from its journal, every step of a run that is still in place, in reverse order. */
export async function undoRun(options: UndoOptions): Promise<RunResult> {
  const entries = readJournal(options.stateDir, options.runId);
  const summary = summarizeRun(entries);
  if (summary.outcome === "running") {
    throw new EngineError(
      "PVEFIX_LOCKED",
      `Run ${options.runId} is still running (pid alive); it cannot be undone now`,
    );
  }
  if (summary.undoneBy) {
    throw new EngineError(
      "PVEFIX_NOTHING_TO_UNDO",
      `Nothing to undo: run ${options.runId} was already undone by ${summary.undoneBy}`,
    );
  }
  const decision = entries.find((e) => e.type === "decision" && e.plan);
  const plan = decision?.type === "decision" ? decision.plan : undefined;
  const toUndo = plan ? stepsStillInPlace(plan.steps, entries) : [];
  if (!plan || toUndo.length === 0) {
    throw new EngineError(
      "PVEFIX_NOTHING_TO_UNDO",
      `Nothing to undo: run ${options.runId} (${summary.outcome}) left no change in place`,
    );
  }
  const runbook = options.runbookFor(summary.runbook);
  const target = { ...options, gate: (async () => ({ approved: true, answer: "undo" })) as Gate };
  return withRun(target, runbook, summary.params, "undo", async (_journal, ex) => {
    for (const backup of BackupStore.fromJournal(entries).all()) ex.backups.add(backup);
    const locked = await acquireNodeLocks(
      ex.transport,
      nodesOf(toUndo),
      ex.runId,
      (id) => runEnded(options.stateDir, id),
      recorderFor(ex, "lock"),
    );
    let reports: UndoReport[];
    try {
      reports = await undoSteps(ex, toUndo, options.runId);
    } finally {
      await releaseNodeLocks(ex.transport, locked, recorderFor(ex, "lock"));
    }
    const ok = reports.every((r) => r.ok);
    const outcome: RunOutcome = ok ? "undone" : "rollback-incomplete";
    Journal.open(options.stateDir, options.runId).append({ type: "undone-by", runId: ex.runId, outcome });
    return {
      outcome,
      plan,
      steps: reports.map((r) => {
        const s = toUndo.find((x) => x.id === r.stepId)!;
        return {
          id: s.id,
          title: s.title,
          node: s.node,
          risk: s.risk,
          status: r.ok ? "undone" : "undo-failed",
          ...(r.error ? { error: r.error } : {}),
        };
      }),
      ...(ok
        ? {}
        : {
            error: reports
              .filter((r) => !r.ok)
              .map((r) => `${r.stepId}: ${r.error}`)
              .join("; "),
          }),
      touchedFiles: ex.backups.all().map(({ node, path }) => ({ node, path })),
    };
  });
}

/** Steps whose effect may still be on the cluster: done, started but never ended, or whose undo failed. */
export function stepsStillInPlace(steps: Step[], entries: ReturnType<typeof readJournal>): Step[] {
  const state = new Map<string, string>();
  for (const e of entries) {
    if (e.type === "step-start") state.set(e.stepId, "started");
    if (e.type === "step-end") state.set(e.stepId, e.status);
    if (e.type === "undo-end") state.set(e.stepId, e.ok ? "undone" : "undo-failed");
  }
  return steps.filter((s) => ["done", "started", "undo-failed"].includes(state.get(s.id) ?? ""));
}

function nodesOf(steps: readonly Step[]): string[] {
  return [...new Set(steps.map((s) => s.node))];
}

function runEnded(stateDir: string, runId: string): boolean {
  try {
    const outcome = summarizeRun(readJournal(stateDir, runId)).outcome;
    return outcome !== "running";
  } catch {
    return false;
  }
}

function recorderFor(ex: Execution, phase: "lock") {
  return (result: Parameters<Execution["listener"]["onCommand"]>[0]["result"]) => {
    // Lock bookkeeping is evidence, not state: a full state disk must not stop the release.
    ex.journal.tryAppend({ type: "command", phase, result });
  };
}

type Body = (journal: Journal, ex: Execution) => Promise<Omit<RunResult, "runId" | "runbook" | "params">>;

/**
 * A run whose journal cannot even be started has not run: the state directory is at fault (exit 2),
 * and the torn start is removed so `pvefix runs` does not trip over it.
 */
function createJournal(stateDir: string, start: Parameters<typeof Journal.create>[1]): Journal {
  try {
    return Journal.create(stateDir, start);
  } catch (error) {
    const fault = stateDirFault(stateDir, error instanceof JournalWriteError ? error.cause : error);
    if (!fault) throw error;
    fs.rmSync(path.join(runsDir(stateDir), `${start.runId}.jsonl`), { force: true });
    throw fault;
  }
}

/** Common frame of every mutating operation: state lock, journal, probe context, run-end. */
async function withRun(
  options: ClusterTarget & {
    stateDir: string;
    listener?: EngineListener;
    gate: Gate;
    signal?: AbortSignal;
    runId?: string;
  },
  runbook: AnyRunbook,
  params: Record<string, unknown>,
  mode: RunMode,
  body: Body,
): Promise<RunResult> {
  const runId = unusedRunId(options.stateDir, runbook.meta.id);
  const lock = acquireStateLock(options.stateDir, options.cluster, runId);
  const listener = combineListeners(options.listener);
  try {
    const journal = createJournal(options.stateDir, {
      runId,
      runbook: runbook.meta.id,
      mode,
      params,
      cluster: options.cluster,
      transport: options.transport.kind,
      ...(options.inventoryPath ? { inventory: options.inventoryPath } : {}),
      ...(mode === "undo" && "runId" in options && typeof options.runId === "string"
        ? { undoOf: options.runId }
        : {}),
    });
    const checkContext = createProbeContext({
      transport: options.transport,
      nodes: options.nodes,
      cluster: options.cluster,
      stateDir: options.stateDir,
      onCommand: (result) => {
        journal.append({ type: "command", phase: "probe", result });
        listener.onCommand({ phase: "probe", result });
      },
    });
    const ex: Execution = {
      runId,
      transport: options.transport,
      journal,
      runbook,
      backups: new BackupStore(),
      listener,
      checkContext,
    };
    let result: Omit<RunResult, "runId" | "runbook" | "params">;
    try {
      result = await body(journal, ex);
    } catch (error) {
      // A lock held elsewhere is a guard saying no; anything else failed before the first change.
      const locked = error instanceof EngineError && error.code === "PVEFIX_LOCKED";
      // A journal that cannot be written stopped the run mid-way: say so, do not claim a rollback.
      const stopped = error instanceof JournalWriteError;
      const outcome: RunOutcome = locked ? "refused" : stopped ? "interrupted" : "failed-rolled-back";
      // The original error says why; a second journal failure adds nothing.
      journal.tryAppend({
        type: "run-end",
        outcome,
        exitCode: exitCodeFor(outcome),
        message: (error as Error).message,
      });
      throw error;
    }
    journal.tryAppend({
      type: "run-end",
      outcome: result.outcome,
      exitCode: exitCodeFor(result.outcome),
      ...(result.error ? { message: result.error } : {}),
    });
    listener.onRunEnd(result.outcome);
    return { runId, runbook: runbook.meta.id, params, ...result };
  } finally {
    lock.release();
  }
}

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

async function executePlanned(
  options: ClusterTarget & { stateDir: string; mode?: string; gate: Gate; signal?: AbortSignal },
  planned: Planned,
  journal: Journal,
  ex: Execution,
): Promise<Omit<RunResult, "runId" | "runbook" | "params">> {
  const none = { steps: [] as StepReport[], touchedFiles: [] };
  switch (planned.kind) {
    case "refusal":
      journal.append({ type: "decision", kind: "refusal", refusal: planned.refusal });
      return { outcome: "refused", refusal: planned.refusal, ...none };
    case "nothing-to-do":
      journal.append({ type: "decision", kind: "nothing-to-do", reason: planned.reason });
      return { outcome: "nothing-to-do", reason: planned.reason, ...none };
    case "plan":
      break;
  }
  const plan = planned.plan;
  journal.append({ type: "decision", kind: "plan", plan });
  const pending = plan.steps.map((s) => ({
    id: s.id,
    title: s.title,
    node: s.node,
    risk: s.risk,
    status: "pending" as const,
  }));
  if (options.mode === "unattended" && !plan.unattended.eligible) {
    return { outcome: "needs-human", plan, reason: plan.unattended.reason, steps: pending, touchedFiles: [] };
  }
  const nodes = [...new Set(plan.steps.map((s) => s.node))];
  const locked = await acquireNodeLocks(
    ex.transport,
    nodes,
    ex.runId,
    (id) => runEnded(options.stateDir, id),
    recorderFor(ex, "lock"),
  );
  let applied: ApplyResult;
  try {
    applied = await applyPlan({
      plan,
      execution: ex,
      gate: options.gate,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await releaseNodeLocks(ex.transport, locked, recorderFor(ex, "lock"));
  }
  return { plan, ...applied };
}
