/**
 * The public operations: plan, run, apply a saved plan, undo a run. Each one takes the cluster
 * lock, writes a journal, and returns one result shape whatever happened.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { readFile } from "../transport/files.js";
import type { CommandResult, Transport } from "../transport/types.js";
import { type ApplyResult, applyPlan, type Gate, type StepReport } from "./apply.js";
import { BackupStore, backupFile } from "./backup.js";
import { EngineError, JournalWriteError } from "./errors.js";
import { combineListeners, type EngineListener } from "./events.js";
import { type Execution, recorder } from "./execution.js";
import { canonicalJson, diffFacts, sha256Hex } from "./fingerprint.js";
import { Journal, type JournalEntry, readJournal, runsDir, summarizeRun, unusedRunId } from "./journal.js";
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
import { type Planned, planDifferences, planRunbook, probeRefusal } from "./plan.js";
import { createProbeContext } from "./probe-context.js";
import { isSecretPath, redactDeep } from "./redact.js";
import { undoStep } from "./rollback.js";
import type { AnyRunbook, ProbeContext } from "./runbook.js";
import {
  buildUndoPlan,
  driftRefusal,
  type FileDrift,
  type FileNow,
  fileDrift,
  refusedUnattended,
  restoreTargets,
  stepsStillInPlace,
  type UndoPlan,
} from "./undo-plan.js";

export { stepsStillInPlace, type UndoPlan };

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
  /** For an undo: the run it undoes (the one to name in `pvefix undo` again). */
  undoOf?: string;
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

/**
 * Apply a saved plan: probe again, build the plan again from the saved parameters, and run that
 * fresh plan only when its facts have the saved fingerprint (Terraform's stale-plan rule) and it
 * does exactly what the saved one says, step by step. The file is a record of what was reviewed,
 * never the source of commands: an edited file is refused, naming each difference.
 */
export async function applySavedPlan(options: ApplySavedOptions): Promise<RunResult> {
  const saved = loadSavedPlan(options.plan);
  const runbook = options.runbookFor(saved.runbook);
  const params = savedParams(runbook, saved.params);
  if (saved.cluster !== options.cluster) {
    throw new EngineError(
      "PVEFIX_STALE_PLAN",
      `Saved plan is for cluster ${saved.cluster}, not ${options.cluster}`,
      "point -i/--lab at the cluster the plan was made for",
    );
  }
  const again = `run \`pvefix plan ${saved.runbook} ${paramFlags(saved.params).join(" ")}\` again to get a fresh plan`;
  return withRun(options, runbook, params, "apply", async (journal, ex) => {
    const planned = await planRunbook({ runbook, params, ctx: ex.checkContext });
    journal.append({ type: "facts", facts: planned.facts });
    if (planned.kind !== "plan" || planned.plan.fingerprint !== saved.fingerprint) {
      const now = planned.kind === "plan" ? planned.plan.facts : refreshedFacts(runbook, planned.facts);
      const changes = diffFacts(redactDeep(saved.facts), redactDeep(now));
      const secretOnly = changes.length === 0 && planned.kind === "plan";
      const refusal: Refusal = {
        code: "stale-plan",
        message: `Saved plan is stale: ${whatChanged(runbook, changes)} changed after the plan was made`,
        detail: [
          ...changes.map((c) => `changed: ${c}`),
          secretOnly ? "changed: a redacted (secret) value in the facts" : "",
          planned.kind === "refusal" ? `today the runbook refuses: ${planned.refusal.message}` : "",
          planned.kind === "nothing-to-do" ? `today there is nothing to do: ${planned.reason}` : "",
          again,
        ]
          .filter(Boolean)
          .join("\n"),
      };
      return executePlanned(options, { kind: "refusal", refusal, facts: planned.facts }, journal, ex);
    }
    const differences = planDifferences(saved, planned.plan);
    if (differences.length > 0) {
      const refusal: Refusal = {
        code: "plan-mismatch",
        message:
          "Saved plan differs from the plan pvefix builds now for the same facts: the file was edited or made by another pvefix version",
        detail: [
          ...differences,
          "nothing runs from a plan file itself: pvefix runs only what it builds again and finds identical",
          again,
        ].join("\n"),
      };
      return executePlanned(options, { kind: "refusal", refusal, facts: planned.facts }, journal, ex);
    }
    // Run what pvefix built just now; it equals the reviewed plan in everything but its time.
    return executePlanned(options, planned, journal, ex);
  });
}

/** Who changed a saved plan's facts: the cluster, the local file the plan read (`--file`), or both. */
function whatChanged(runbook: AnyRunbook, changes: string[]): string {
  const local = runbook.localFacts ?? [];
  const isLocal = (change: string) =>
    local.some((key) => change.startsWith(`${key}.`) || change.startsWith(`${key}:`));
  const localCount = changes.filter(isLocal).length;
  if (localCount === 0) return "the cluster";
  return localCount === changes.length ? "the local file" : "the cluster and the local file";
}

/**
 * A plan holds its parameters as parsed (`--nodes-down pve3` is `["pve3"]`), and a file's values
 * are untrusted: they are validated again, read back from the form the CLI takes (a list as a
 * comma list), and used only when parsing gives exactly the saved values.
 */
function savedParams(runbook: AnyRunbook, saved: Record<string, unknown>): Record<string, unknown> {
  const asFlags = Object.fromEntries(
    Object.entries(saved).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
  );
  let firstError: unknown;
  for (const raw of [saved, asFlags]) {
    try {
      const parsed = parseParams(runbook, raw);
      if (canonicalJson(parsed) === canonicalJson(saved)) return parsed;
    } catch (error) {
      firstError ??= error;
    }
  }
  throw (
    firstError ??
    new EngineError(
      "PVEFIX_PLAN_FORMAT",
      `the plan file's params ${JSON.stringify(saved)} are not what \`pvefix plan ${runbook.meta.id}\` saves`,
    )
  );
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
    const issue = parsed.error.issues[0];
    // Name the field, or a user editing the file cannot tell which one is wrong.
    const where = issue && issue.path.length > 0 ? `at ${issue.path.join(".")}: ` : "";
    throw new EngineError(
      "PVEFIX_PLAN_FORMAT",
      `the plan file is not a valid pvefix plan: ${where}${issue?.message}`,
    );
  }
  return parsed.data;
}

export interface UndoOptions extends ClusterTarget {
  stateDir: string;
  runId: string;
  runbookFor(id: string): AnyRunbook;
  /** `unattended`: only an undo whose every step is safe, and never over someone else's change. */
  mode: "interactive" | "unattended";
  gate: Gate;
  listener?: EngineListener;
  /** Aborting stops before the next undo step; the run stays undoable. */
  signal?: AbortSignal;
}

/** What an undo works from: the run's journal, its plan, and the steps still in place. */
interface UndoSubject {
  runId: string;
  /** The run's own journal (its backups and file records). */
  entries: JournalEntry[];
  summary: ReturnType<typeof summarizeRun>;
  plan: Plan;
  /** In run order. */
  toUndo: Step[];
  runbook: AnyRunbook;
}

function undoSubject(options: Pick<UndoOptions, "stateDir" | "runId" | "runbookFor">): UndoSubject {
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
  // Earlier undo attempts that did not finish have put some steps back already.
  const attempts = undoAttempts(options.stateDir, options.runId);
  const toUndo = plan ? stepsStillInPlace(plan.steps, [...entries, ...attempts]) : [];
  if (!plan || toUndo.length === 0) {
    throw new EngineError(
      "PVEFIX_NOTHING_TO_UNDO",
      `Nothing to undo: run ${options.runId} (${summary.outcome}) left no change in place`,
    );
  }
  // An undo run's steps (and steps with no lasting effect) have nothing to undo: an "undo" of
  // them would run nothing and still mark the run undone.
  if (toUndo.every((step) => step.undo.kind === "none")) {
    const why = toUndo[0]?.undo.kind === "none" ? toUndo[0].undo.reason : "";
    throw new EngineError(
      "PVEFIX_NOTHING_TO_UNDO",
      `Nothing to undo: what run ${options.runId} (${summary.outcome}) left in place has nothing to undo (${why})`,
    );
  }
  return {
    runId: options.runId,
    entries,
    summary,
    plan,
    toUndo,
    runbook: options.runbookFor(summary.runbook),
  };
}

/** The undo entries earlier undos of `runId` journaled. An unreadable journal of another run is no reason to refuse. */
function undoAttempts(stateDir: string, runId: string): JournalEntry[] {
  const files = fs.existsSync(runsDir(stateDir)) ? fs.readdirSync(runsDir(stateDir)) : [];
  return files.flatMap((file) => {
    if (!file.endsWith(".jsonl")) return [];
    let entries: JournalEntry[];
    try {
      entries = readJournal(stateDir, file.slice(0, -".jsonl".length));
    } catch {
      return [];
    }
    const start = entries.find((e) => e.type === "run-start");
    if (start?.type !== "run-start" || start.undoOf !== runId) return [];
    return entries.filter((e) => (e.type === "undo-start" || e.type === "undo-end") && e.of === runId);
  });
}

/**
 * Re-check an undo against the cluster as it is now: the runbook's guards on fresh facts, and
 * every file the undo restores against what the run left there. Reads only.
 */
async function prepareUndo(
  subject: UndoSubject,
  target: ClusterTarget,
  ctx: ProbeContext,
  record: (result: CommandResult) => void,
): Promise<UndoPlan> {
  const { runbook, summary } = subject;
  const base = {
    runId: subject.runId,
    runbook,
    params: summary.params,
    cluster: target.cluster,
    original: subject.plan,
    toUndo: subject.toUndo,
  };
  const refused = (refusal: Refusal): UndoPlan => {
    const undo = buildUndoPlan({ ...base, facts: null, drift: [], toUndo: [] });
    return { ...undo, plan: { ...undo.plan, unattended: refusedUnattended(refusal) }, refusal };
  };
  let facts: unknown = null;
  if (runbook.guardUndo) {
    try {
      facts = await runbook.probe(ctx, summary.params);
    } catch (error) {
      return refused(probeRefusal(error));
    }
  }
  const drift: FileDrift[] = [];
  for (const t of restoreTargets(subject.plan.steps, subject.toUndo)) {
    let now: FileNow;
    try {
      const read = await readFile(target.transport, t.node, t.path);
      record(read.result);
      now = {
        node: t.node,
        path: t.path,
        sha256: read.exists ? sha256Hex(read.content) : null,
        content: read.exists && !isSecretPath(t.path) ? read.content : null,
      };
    } catch (error) {
      return refused(probeRefusal(error));
    }
    const d = fileDrift(t, now, subject.entries);
    if (d) drift.push(d);
  }
  return buildUndoPlan({ ...base, facts, drift });
}

/** `pvefix undo <run> --plan`: what an undo would do now, and whether it may. Changes nothing, writes no journal. */
export async function planUndo(
  options: ClusterTarget & Pick<UndoOptions, "stateDir" | "runId" | "runbookFor" | "listener">,
): Promise<UndoPlan> {
  const subject = undoSubject(options);
  const listener = combineListeners(options.listener);
  const onCommand = (result: CommandResult) => listener.onCommand({ phase: "probe", result });
  const ctx = createProbeContext({ ...options, memoize: true, onCommand });
  return prepareUndo(subject, options, ctx, onCommand);
}

/**
 * Undo, from its journal, every step of a run that is still in place, in reverse order: a plan of
 * its own, re-checked on fresh facts, asked at the gates of the forward run. The run is marked
 * undone only when every step was put back, so a failed or declined undo can be run again.
 */
export async function undoRun(options: UndoOptions): Promise<RunResult> {
  const subject = undoSubject(options);
  const { runbook, summary, toUndo } = subject;
  return withRun(options, runbook, summary.params, "undo", async (journal, ex) => {
    const undo = await prepareUndo(subject, options, ex.checkContext, recorder(ex, "probe"));
    const plan = undo.plan;
    journal.append({ type: "facts", facts: plan.facts });
    const pending: StepReport[] = [...toUndo].reverse().map((s) => ({
      id: s.id,
      title: s.title,
      node: s.node,
      risk: plan.steps.find((p) => p.id === s.id)?.risk ?? s.risk,
      status: "pending",
    }));
    const restored = (steps: readonly Step[]) =>
      restoreTargets(subject.plan.steps, steps).map(({ node, path }) => ({ node, path }));
    const refusal =
      undo.refusal ??
      (options.mode === "unattended" && undo.drift.length > 0
        ? driftRefusal(undo.drift, subject.runId)
        : null);
    const ended = { undoOf: subject.runId, touchedFiles: [] };
    if (refusal) {
      journal.append({ type: "decision", kind: "refusal", refusal });
      return { outcome: "refused", refusal, plan, steps: pending, ...ended };
    }
    if (plan.steps.length > 0) journal.append({ type: "decision", kind: "plan", plan });
    if (options.mode === "unattended" && !plan.unattended.eligible) {
      return { outcome: "needs-human", plan, reason: plan.unattended.reason, steps: pending, ...ended };
    }
    for (const backup of BackupStore.fromJournal(subject.entries).all()) ex.backups.add(backup);
    const locked = await acquireNodeLocks(
      ex.transport,
      nodesOf(toUndo),
      ex.runId,
      (id) => runEnded(options.stateDir, id),
      recorderFor(ex, "lock"),
    );
    let stopped: { outcome: "declined" | "interrupted"; error: string } | null = null;
    try {
      for (const report of pending) {
        const step = toUndo.find((s) => s.id === report.id)!;
        if (options.signal?.aborted) {
          stopped = { outcome: "interrupted", error: `interrupted before the undo of ${step.id}` };
          break;
        }
        const planned = plan.steps.find((s) => s.id === step.id);
        if (planned && planned.risk !== "safe") {
          const answer = await options.gate({
            plan,
            step: planned,
            index: plan.steps.indexOf(planned),
            confirm: planned.risk === "dangerous" ? "node-name" : "yes",
          });
          journal.append({ type: "gate", stepId: step.id, approved: answer.approved, answer: answer.answer });
          if (!answer.approved) {
            report.status = "skipped";
            report.error = `not approved: ${answer.answer}`;
            stopped = {
              outcome: "declined",
              error: `the undo of step ${step.id} was not approved (${answer.answer})`,
            };
            break;
          }
        }
        // Someone else's bytes are about to be overwritten: keep them in this undo's journal and on the node.
        const mine = restored([step]);
        for (const d of undo.drift) {
          if (!mine.some((f) => f.node === d.node && f.path === d.path)) continue;
          await backupFile({
            transport: ex.transport,
            journal,
            runId: ex.runId,
            stepId: step.id,
            node: d.node,
            path: d.path,
            record: recorder(ex, "backup", step.id),
          });
        }
        const r = await undoStep(ex, step, subject.runId);
        report.status = r.ok ? "undone" : "undo-failed";
        if (r.error) report.error = r.error;
      }
    } finally {
      await releaseNodeLocks(ex.transport, locked, recorderFor(ex, "lock"));
    }
    const undone = pending.filter((r) => r.status === "undone");
    const failed = pending.filter((r) => r.status === "undo-failed");
    const outcome: RunOutcome =
      failed.length === 0 && !stopped
        ? "undone"
        : stopped?.outcome === "declined" && undone.length === 0 && failed.length === 0
          ? "declined"
          : stopped?.outcome === "interrupted"
            ? "interrupted"
            : "rollback-incomplete";
    // Every attempt is on the run's record; only a complete one ends its life (summarizeRun).
    Journal.open(options.stateDir, subject.runId).append({ type: "undone-by", runId: ex.runId, outcome });
    const error = [...failed.map((r) => `${r.id}: ${r.error}`), ...(stopped ? [stopped.error] : [])].join(
      "; ",
    );
    return {
      outcome,
      plan,
      steps: pending,
      ...(error ? { error } : {}),
      touchedFiles: restored(toUndo.filter((s) => undone.some((r) => r.id === s.id))),
      undoOf: subject.runId,
    };
  });
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
