/**
 * What an undo works from (the run's journal, its plan, the steps still in place) and its check
 * against the cluster as it is now: shared by `undo` and `undo --plan`. Reads only.
 */
import { isPvefixError } from "../../errors/pvefix-error.js";
import { readFile } from "../../transport/files.js";
import type { CommandResult } from "../../transport/types.js";
import { EngineError } from "../errors.js";
import { sha256Hex } from "../fingerprint.js";
import { type JournalEntry, runsDir, scanRuns, summarizeRun } from "../journal.js";
import type { Plan, Refusal, Step } from "../model.js";
import { probeRefusal } from "../plan.js";
import { isSecretPath } from "../redact.js";
import type { AnyRunbook, ProbeContext } from "../runbook.js";
import {
  buildUndoPlan,
  type FileDrift,
  type FileNow,
  fileDrift,
  refusedUnattended,
  restoreTargets,
  stepsStillInPlace,
  type UndoPlan,
} from "../undo-plan.js";
import { type ClusterTarget, journalsOf } from "./frame.js";
import type { UndoOptions } from "./undo.js";

/** What an undo works from: the run's journal, its plan, and the steps still in place. */
export interface UndoSubject {
  runId: string;
  /** The run's own journal (its backups and file records). */
  entries: JournalEntry[];
  summary: ReturnType<typeof summarizeRun>;
  plan: Plan;
  /** In run order. */
  toUndo: Step[];
  runbook: AnyRunbook;
}

/**
 * The run to undo, from its journal. Given the cluster the undo would talk to, a run made on
 * another cluster is refused before anything is read there: its steps name guests, files and
 * nodes of its own cluster, and the same names elsewhere are other things.
 */
export function undoSubject(
  options: Pick<UndoOptions, "stateDir" | "runId" | "runbookFor" | "journals"> & { cluster?: string },
): UndoSubject {
  const journals = journalsOf(options);
  const entries = journals.read(options.runId);
  const summary = summarizeRun(entries);
  if (options.cluster !== undefined && summary.cluster !== options.cluster) {
    throw new EngineError(
      "PVEFIX_BAD_INPUT",
      `Run ${options.runId} was made on cluster ${summary.cluster}, not on ${options.cluster}: it is undone only on its own cluster`,
      "point -i/--group/--lab at the cluster the run was made on (`pvefix show` names it)",
    );
  }
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
  const attempts = journals.undoAttempts(options.runId);
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

/** `undo last`: the run picked, and the later runs passed over because they left nothing to undo. */
export interface LastUndoable {
  runId: string;
  passedOver: string[];
}

/**
 * `undo last`: the latest run that still has something to undo. A later run that was declined or
 * refused, had nothing to do, or is undone already is passed over (named in `passedOver`); a run
 * still running stops the search, as it would stop its undo.
 */
export function lastUndoableRun(options: Pick<UndoOptions, "stateDir" | "runbookFor">): LastUndoable {
  const { runs } = scanRuns(options.stateDir);
  if (runs.length === 0) {
    throw new EngineError("PVEFIX_RUN_NOT_FOUND", `No runs yet in ${runsDir(options.stateDir)}`);
  }
  const passedOver: string[] = [];
  for (const { runId } of [...runs].reverse()) {
    try {
      undoSubject({ ...options, runId });
      return { runId, passedOver };
    } catch (error) {
      if (!isPvefixError(error, "PVEFIX_NOTHING_TO_UNDO")) throw error;
      passedOver.push(runId);
    }
  }
  throw new EngineError(
    "PVEFIX_NOTHING_TO_UNDO",
    `Nothing to undo: none of the ${runs.length} runs in ${runsDir(options.stateDir)} left a change in place`,
  );
}

/**
 * Re-check an undo against the cluster as it is now: the runbook's guards on fresh facts, and
 * every file the undo restores against what the run left there. Reads only.
 */
export async function prepareUndo(
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
