/** Carry out what planning decided, inside a run's frame: shared by `run` and `apply`. */
import { type ApplyResult, applyPlan, type Gate, type StepReport } from "../apply.js";
import type { Execution } from "../execution.js";
import type { RunJournals } from "../journal-store.js";
import { acquireNodeLocks, releaseNodeLocks } from "../lock.js";
import type { Planned } from "../plan.js";
import { type BodyResult, type ClusterTarget, journalsOf, lockRecorder, nodesOf } from "./frame.js";

export async function executePlanned(
  options: ClusterTarget & {
    stateDir: string;
    mode?: string;
    gate: Gate;
    signal?: AbortSignal;
    journals?: RunJournals;
  },
  planned: Planned,
  ex: Execution,
): Promise<BodyResult> {
  const none = { steps: [] as StepReport[], touchedFiles: [] };
  switch (planned.kind) {
    case "refusal":
      ex.events.emit({ type: "decision", kind: "refusal", refusal: planned.refusal });
      return { outcome: "refused", refusal: planned.refusal, ...none };
    case "nothing-to-do":
      ex.events.emit({ type: "decision", kind: "nothing-to-do", reason: planned.reason });
      return { outcome: "nothing-to-do", reason: planned.reason, ...none };
    case "plan":
      break;
  }
  const plan = planned.plan;
  ex.events.emit({ type: "decision", kind: "plan", plan });
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
  const locked = await acquireNodeLocks(
    ex.transport,
    nodesOf(plan.steps),
    ex.runId,
    (id) => journalsOf(options).ended(id),
    lockRecorder(ex),
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
    await releaseNodeLocks(ex.transport, locked, lockRecorder(ex));
  }
  return { plan, ...applied };
}
