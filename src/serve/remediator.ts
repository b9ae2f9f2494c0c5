/**
 * What the service needs from the engine, behind an interface: the same operations the CLI runs
 * (run unattended, plan, apply a saved plan, undo), so the service adds no path of its own to
 * the cluster. The benchmark and unit tests put a stand-in here; `engineRemediator` is the real one.
 */

import type { RunJournals } from "../engine/journal-store.js";
import {
  type AnyRunbook,
  applySavedPlan,
  type ClusterTarget,
  type Diagnosis,
  diagnoseCluster,
  type Gate,
  type Plan,
  planOnly,
  type RunResult,
  runbookById,
  runbooks,
  runRunbook,
  undoRun,
} from "../index.js";

export type PlanResult =
  | { kind: "plan"; plan: Plan }
  | { kind: "refusal"; message: string; code: string }
  | { kind: "nothing-to-do"; reason: string };

export interface Remediator {
  run(o: {
    target: ClusterTarget;
    runbook: string;
    params: Record<string, unknown>;
    trigger: Record<string, unknown>;
    signal: AbortSignal;
  }): Promise<RunResult>;
  plan(o: { target: ClusterTarget; runbook: string; params: Record<string, unknown> }): Promise<PlanResult>;
  apply(o: {
    target: ClusterTarget;
    plan: unknown;
    gate: Gate;
    trigger: Record<string, unknown>;
    signal: AbortSignal;
  }): Promise<RunResult>;
  undo(o: { target: ClusterTarget; runId: string; trigger: Record<string, unknown> }): Promise<RunResult>;
  diagnose(target: ClusterTarget): Promise<Diagnosis>;
}

/** No questions in the service: a step that would ask is refused, as `run --unattended` does. */
const noGate: Gate = async (request) => ({
  approved: false,
  answer: `unattended: step ${request.step.id} is ${request.step.risk}`,
});

/**
 * `journals`: where the engine reads other runs and copies its own journal (a fleet's
 * PostgreSQL, `src/serve/fleet/fleet.ts`); the state directory alone when absent.
 */
export function engineRemediator(
  stateDir: string,
  journals?: (cluster: string, runId?: string) => Promise<RunJournals>,
): Remediator {
  const of = async (cluster: string, runId?: string) =>
    journals ? { journals: await journals(cluster, runId) } : {};
  return {
    run: async (o) =>
      runRunbook({
        ...(await of(o.target.cluster)),
        ...o.target,
        runbook: runbookById(o.runbook),
        rawParams: o.params,
        stateDir,
        mode: "unattended",
        gate: noGate,
        signal: o.signal,
        trigger: o.trigger,
      }),
    plan: async (o) => {
      const planned = await planOnly({
        ...o.target,
        stateDir,
        runbook: runbookById(o.runbook),
        rawParams: o.params,
      });
      if (planned.kind === "plan") return { kind: "plan", plan: planned.plan };
      if (planned.kind === "refusal") {
        return { kind: "refusal", message: planned.refusal.message, code: planned.refusal.code };
      }
      return { kind: "nothing-to-do", reason: planned.reason };
    },
    apply: async (o) =>
      applySavedPlan({
        ...(await of(o.target.cluster)),
        ...o.target,
        plan: o.plan,
        runbookFor: runbookById,
        stateDir,
        mode: "interactive",
        gate: o.gate,
        signal: o.signal,
        trigger: o.trigger,
      }),
    undo: async (o) =>
      undoRun({
        ...(await of(o.target.cluster, o.runId)),
        ...o.target,
        stateDir,
        runId: o.runId,
        runbookFor: runbookById,
        mode: "unattended",
        gate: noGate,
        trigger: o.trigger,
      }),
    diagnose: (target) => diagnoseCluster({ ...target, runbooks: runbooks as readonly AnyRunbook[] }),
  };
}
