/**
 * Apply: run a plan's steps in order. Before each step: its gate, then backups of every file it
 * declares. After each step: its checks. On failure: restore the failed step's files, undo the
 * completed steps in reverse order. Apply always reports what it touched and the state reached.
 */
import { backupFile, recordFileState } from "./backup.js";
import { JournalWriteError } from "./errors.js";
import { ActionError, type Execution, recorder, runAction, runCheck } from "./execution.js";
import { runTakenOver } from "./journal-store.js";
import type { Plan, RunOutcome, Step, StepStatus } from "./model.js";
import { undoStep, undoSteps } from "./rollback.js";

export interface GateRequest {
  plan: Plan;
  step: Step;
  index: number;
  /** `yes`: a yes/no confirmation; `node-name`: the operator must type the node name. */
  confirm: "yes" | "node-name";
  /**
   * This step and the dangerous steps right after it on the same node (just this step otherwise):
   * the steps one typed answer may approve together (`GateAnswer.batch`). Apply always sets it.
   */
  batch?: Step[];
}

export interface GateAnswer {
  approved: boolean;
  /** What the operator answered (or the policy that answered), for the journal. */
  answer: string;
  /** The approval covers every step of the request's `batch`; they are not asked again. */
  batch?: boolean;
}

/** The dangerous steps from `index` on that run on the same node, one after another. */
function batchFrom(steps: readonly Step[], index: number): Step[] {
  const first = steps[index]!;
  if (first.risk !== "dangerous") return [first];
  let end = index + 1;
  while (end < steps.length && steps[end]!.risk === "dangerous" && steps[end]!.node === first.node) end++;
  return steps.slice(index, end);
}

export type Gate = (request: GateRequest) => Promise<GateAnswer>;

export interface StepReport {
  id: string;
  title: string;
  node: string;
  risk: Step["risk"];
  status: StepStatus;
  error?: string;
}

export interface ApplyResult {
  outcome: RunOutcome;
  steps: StepReport[];
  /** Why the run did not end `done`. */
  error?: string;
  touchedFiles: Array<{ node: string; path: string }>;
}

export interface ApplyOptions {
  plan: Plan;
  execution: Execution;
  gate: Gate;
  /** Aborting stops before the next step (never in the middle of one); nothing is rolled back. */
  signal?: AbortSignal;
}

export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { plan, execution: ex } = options;
  const reports: StepReport[] = plan.steps.map((s) => ({
    id: s.id,
    title: s.title,
    node: s.node,
    risk: s.risk,
    status: "pending",
  }));
  const setStatus = (index: number, status: StepStatus, error?: string) => {
    const report = reports[index]!;
    report.status = status;
    if (error) report.error = error;
  };
  const touched = () => ex.backups.all().map(({ node, path }) => ({ node, path }));
  const completed: Step[] = [];
  /** Steps up to this index were approved with an earlier step's batch answer. */
  let approvedThrough = -1;
  let batchAnswer = "";

  const rollBack = async (
    outcome: "failed-rolled-back" | "declined",
    error: string,
  ): Promise<ApplyResult> => {
    const undo = await undoSteps(ex, completed);
    for (const r of undo) {
      const index = plan.steps.findIndex((s) => s.id === r.stepId);
      setStatus(index, r.ok ? "undone" : "undo-failed", r.error);
    }
    const complete = undo.every((r) => r.ok) && !reports.some((r) => r.status === "undo-failed");
    return {
      outcome: complete ? outcome : "rollback-incomplete",
      steps: reports,
      error,
      touchedFiles: touched(),
    };
  };

  for (const [index, step] of plan.steps.entries()) {
    if (options.signal?.aborted) {
      return {
        outcome: "interrupted",
        steps: reports,
        error: `interrupted before step ${step.id}`,
        touchedFiles: touched(),
      };
    }
    if (step.risk !== "safe" && index <= approvedThrough) {
      ex.events.emit({ type: "gate", stepId: step.id, approved: true, answer: batchAnswer });
    } else if (step.risk !== "safe") {
      const batch = batchFrom(plan.steps, index);
      const answer = await options.gate({
        plan,
        step,
        index,
        confirm: step.risk === "dangerous" ? "node-name" : "yes",
        batch,
      });
      ex.events.emit({ type: "gate", stepId: step.id, approved: answer.approved, answer: answer.answer });
      if (answer.approved && answer.batch && batch.length > 1) {
        approvedThrough = index + batch.length - 1;
        batchAnswer = `${answer.answer} (approved with step ${step.id} for ${batch.length} steps)`;
      }
      if (!answer.approved) {
        setStatus(index, "skipped", `not approved: ${answer.answer}`);
        for (let i = index + 1; i < plan.steps.length; i++) setStatus(i, "skipped");
        // An interrupt at the question stops like one between steps: what ran stays, for `undo`.
        if (options.signal?.aborted && completed.length > 0) {
          return {
            outcome: "interrupted",
            steps: reports,
            error: `interrupted at the question before step ${step.id}`,
            touchedFiles: touched(),
          };
        }
        return rollBack("declined", `step ${step.id} was not approved (${answer.answer})`);
      }
    }

    ex.events.emit({ type: "step-start", stepId: step.id });
    try {
      // The step's intent is in every copy of the journal before its first command is sent.
      await ex.events.flush();
    } catch (error) {
      const why = `not sent: the journal's copy cannot be written (${(error as Error).message})`;
      ex.events.emit({ type: "step-end", stepId: step.id, status: "skipped", error: why });
      setStatus(index, "skipped", why);
      for (let i = index + 1; i < plan.steps.length; i++) setStatus(i, "skipped");
      // Another worker owns this run now and rolls it back from the shared journal: two rollbacks
      // of one run would race on the same nodes.
      if (runTakenOver(error)) {
        return {
          outcome: "interrupted",
          steps: reports,
          error: `stopped before step ${step.id}: ${why}`,
          touchedFiles: touched(),
        };
      }
      return rollBack("failed-rolled-back", `stopped before step ${step.id}: ${why}`);
    }
    const failure = await runStep(ex, step);
    if (failure === undefined) {
      ex.events.emit({ type: "step-end", stepId: step.id, status: "done" });
      setStatus(index, "done");
      completed.push(step);
      continue;
    }

    try {
      ex.events.emit({ type: "step-end", stepId: step.id, status: "failed", error: failure.message });
    } catch (error) {
      // A full state disk that stopped the first step before its first change: nothing to undo,
      // and the honest outcome is "failed, nothing changed" even though the journal ends early.
      if (!(error instanceof JournalWriteError) || failure.changedSomething || completed.length > 0)
        throw error;
      setStatus(index, "failed", failure.message);
      for (let i = index + 1; i < plan.steps.length; i++) setStatus(i, "skipped");
      return {
        outcome: "failed-rolled-back",
        steps: reports,
        error: `${failure.message}; ${error.message}`,
        touchedFiles: touched(),
      };
    }
    setStatus(index, "failed", failure.message);
    for (let i = index + 1; i < plan.steps.length; i++) setStatus(i, "skipped");
    if (failure.changedSomething) {
      // The failed step may have done part of its work: undo it too (its undo is idempotent by design).
      const r = await undoStep(ex, step);
      if (!r.ok) setStatus(index, "undo-failed", `${failure.message}; undo: ${r.error}`);
    }
    return rollBack("failed-rolled-back", `step ${step.id} failed: ${failure.message}`);
  }

  for (const check of plan.postconditions) {
    const result = await runCheck(ex, check);
    if (!result.ok) {
      return rollBack(
        "failed-rolled-back",
        `postcondition failed on ${check.node}: ${check.description}: ${result.detail}`,
      );
    }
  }
  return { outcome: "done", steps: reports, touchedFiles: touched() };
}

interface StepFailure {
  message: string;
  /** False only when the step failed before its first action ran. */
  changedSomething: boolean;
}

async function runStep(ex: Execution, step: Step): Promise<StepFailure | undefined> {
  try {
    for (const path of step.files) {
      const backup = await backupFile({
        transport: ex.transport,
        events: ex.events,
        runId: ex.runId,
        stepId: step.id,
        node: step.node,
        path,
        record: recorder(ex, "backup", step.id),
      });
      ex.backups.add(backup);
    }
  } catch (error) {
    return {
      message: `backup failed, nothing was changed by this step: ${(error as Error).message}`,
      changedSomething: false,
    };
  }
  let ranAny = false;
  try {
    for (const action of step.actions) {
      await runAction(ex, step, action, "step");
      ranAny = true;
    }
  } catch (error) {
    const unknown = error instanceof ActionError && error.outcomeUnknown;
    return { message: (error as Error).message, changedSomething: ranAny || unknown };
  }
  for (const check of step.verify) {
    const result = await runCheck(ex, check, step.id);
    if (!result.ok)
      return { message: `check failed: ${check.description}: ${result.detail}`, changedSomething: true };
  }
  // What the step left, for `pvefix undo` to compare with what it finds later.
  for (const path of step.files) {
    await recordFileState({
      transport: ex.transport,
      events: ex.events,
      stepId: step.id,
      node: step.node,
      path,
      record: recorder(ex, "verify", step.id),
    });
  }
  return undefined;
}
