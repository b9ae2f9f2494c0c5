/**
 * The second Ctrl-C: the operator will not wait for the step in flight. The process is about to
 * exit, so the engine's own frame never reaches its end: this records the end in the journal
 * (what was in flight, what is left), releases the state lock and, within a short deadline, the
 * node locks of this run. A node lock that stays is stale once the journal says the run ended,
 * and the next run takes it over.
 */

import { exitCodeFor } from "../errors/exit-codes.js";
import type { Transport } from "../transport/types.js";
import { Journal } from "./journal.js";
import { releaseOwnNodeLocks, releaseStateLockOf, stateLockOwner } from "./lock.js";
import type { Plan } from "./model.js";

export interface RunProgress {
  plan?: Plan;
  /** Step ids started, in order, and those that ended (with their status). */
  started: string[];
  ended: Map<string, string>;
}

export interface AbandonResult {
  runId: string;
  message: string;
  inFlight: string[];
  notStarted: string[];
  /** Whether the run-end entry reached the journal. */
  journaled: boolean;
  nodeLocksKept: string[];
}

/**
 * Stop the run this process holds the state lock for. Returns null when this process holds no
 * run (interrupted before the lock was taken, or after it was released): nothing to record.
 */
export async function abandonRun(o: {
  stateDir: string;
  cluster: string;
  transport: Transport | undefined;
  progress: RunProgress;
  deadlineMs: number;
}): Promise<AbandonResult | null> {
  const owner = stateLockOwner(o.stateDir, o.cluster);
  if (!owner || owner.pid !== process.pid) return null;
  const steps = o.progress.plan?.steps ?? [];
  const inFlight = o.progress.started.filter((id) => !o.progress.ended.has(id));
  const notStarted = steps.map((s) => s.id).filter((id) => !o.progress.started.includes(id));
  const message = [
    "interrupted twice: stopped at once",
    inFlight.length > 0 ? `in flight (may be half done): ${inFlight.join(", ")}` : "no step was in flight",
    notStarted.length > 0 ? `not started: ${notStarted.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
  let journaled = false;
  try {
    journaled = Journal.open(o.stateDir, owner.runId).tryAppend({
      type: "run-end",
      outcome: "interrupted",
      exitCode: exitCodeFor("interrupted"),
      message,
    });
  } catch {
    // The lock was taken but the journal not yet created: nothing ran, nothing to record.
  }
  releaseStateLockOf(o.stateDir, o.cluster, owner.runId);
  const nodes = [...new Set(steps.map((s) => s.node))];
  const kept =
    o.transport && nodes.length > 0
      ? (await releaseOwnNodeLocks(o.transport, nodes, owner.runId, o.deadlineMs)).kept
      : [];
  return { runId: owner.runId, message, inFlight, notStarted, journaled, nodeLocksKept: kept };
}
