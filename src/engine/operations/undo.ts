/**
 * `pvefix undo <run>`: put back, from its journal, what a run left in place; and `--plan`, what
 * such an undo would do now.
 */
import type { CommandResult } from "../../transport/types.js";
import type { Gate, StepReport } from "../apply.js";
import { BackupStore, backupFile } from "../backup.js";
import { type EngineListener, EventStream } from "../events.js";
import { recorder } from "../execution.js";
import type { RunJournals } from "../journal-store.js";
import { acquireNodeLocks, releaseNodeLocks } from "../lock.js";
import type { RunOutcome, Step } from "../model.js";
import { createProbeContext } from "../probe-context.js";
import { undoStep } from "../rollback.js";
import type { AnyRunbook } from "../runbook.js";
import { driftRefusal, restoreTargets, type UndoPlan } from "../undo-plan.js";
import { type ClusterTarget, journalsOf, lockRecorder, nodesOf, type RunResult, withRun } from "./frame.js";
import { prepareUndo, undoSubject } from "./undo-subject.js";

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
  /** What started the undo (`pvefix serve` rolling back a run it stopped), for the journal. */
  trigger?: Record<string, unknown>;
  /** Where the run to undo is read (a fleet's PostgreSQL: a run of any worker); the state directory by default. */
  journals?: RunJournals;
}

/** `pvefix undo <run> --plan`: what an undo would do now, and whether it may. Changes nothing, writes no journal. */
export async function planUndo(
  options: ClusterTarget & Pick<UndoOptions, "stateDir" | "runId" | "runbookFor" | "listener" | "journals">,
): Promise<UndoPlan> {
  const subject = undoSubject(options);
  // No journal: the events reach the listeners only.
  const events = new EventStream(null, options.listener);
  const onCommand = (result: CommandResult) => events.emit({ type: "command", phase: "probe", result });
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
  return withRun(options, runbook, summary.params, "undo", async (ex) => {
    const undo = await prepareUndo(subject, options, ex.checkContext, recorder(ex, "probe"));
    const plan = undo.plan;
    ex.events.emit({ type: "facts", facts: plan.facts });
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
      ex.events.emit({ type: "decision", kind: "refusal", refusal });
      return { outcome: "refused", refusal, plan, steps: pending, ...ended };
    }
    if (plan.steps.length > 0) ex.events.emit({ type: "decision", kind: "plan", plan });
    if (options.mode === "unattended" && !plan.unattended.eligible) {
      return { outcome: "needs-human", plan, reason: plan.unattended.reason, steps: pending, ...ended };
    }
    for (const backup of BackupStore.fromJournal(subject.entries).all()) ex.backups.add(backup);
    const locked = await acquireNodeLocks(
      ex.transport,
      nodesOf(toUndo),
      ex.runId,
      (id) => journalsOf(options).ended(id),
      lockRecorder(ex),
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
          ex.events.emit({ type: "gate", stepId: step.id, approved: answer.approved, answer: answer.answer });
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
            events: ex.events,
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
      await releaseNodeLocks(ex.transport, locked, lockRecorder(ex));
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
    journalsOf(options).appendTo(subject.runId, { type: "undone-by", runId: ex.runId, outcome });
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
