/** `pvefix run`, `pvefix apply FILE` and `pvefix undo <run-id>`: the commands that change things. */
import * as fs from "node:fs";
import { runbookById } from "../../../runbooks/index.js";
import {
  abandonRun,
  applySavedPlan,
  type ClusterTarget,
  combineListeners,
  EngineError,
  type EngineListener,
  exitCodeFor,
  FROM_REPORT_NOTE,
  type Gate,
  planUndo,
  type RunProgress,
  type RunResult,
  runRunbook,
  undoRun,
} from "../../index.js";
import type { FleetAccess } from "../../serve/fleet/access.js";
import { onTarget } from "../../views/command-line.js";
import { renderRunResult, renderUndoPlan } from "../../views/index.js";
import { EXIT } from "../exit-codes.js";
import { interactiveGate, unattendedGate } from "../gates.js";
import type { GlobalOptions } from "../global-options.js";
import { printOutput } from "../output.js";
import { checkLocalFiles, progressFor, viewOptions, withTarget } from "./shared.js";

export interface RunCommandOptions {
  runbook: string;
  rawParams: Record<string, unknown>;
  unattended: boolean;
}

export async function runRun(globals: GlobalOptions, options: RunCommandOptions): Promise<number> {
  const runbook = runbookById(options.runbook);
  checkLocalFiles(options.rawParams);
  return mutating(globals, options.unattended, (target, gate, listener, signal) =>
    runRunbook({
      ...target,
      runbook,
      rawParams: options.rawParams,
      stateDir: globals.stateDir,
      mode: options.unattended ? "unattended" : "interactive",
      gate,
      listener,
      signal,
    }),
  );
}

export async function runApply(
  globals: GlobalOptions,
  options: { file: string; unattended: boolean },
): Promise<number> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(options.file, "utf8"));
  } catch (error) {
    throw new EngineError(
      "PVEFIX_PLAN_FORMAT",
      `cannot read plan file ${options.file}: ${(error as Error).message}`,
    );
  }
  refuseReportPlan(raw, options.file);
  return mutating(globals, options.unattended, (target, gate, listener, signal) =>
    applySavedPlan({
      ...target,
      plan: raw,
      runbookFor: runbookById,
      stateDir: globals.stateDir,
      mode: options.unattended ? "unattended" : "interactive",
      gate,
      listener,
      signal,
    }),
  );
}

export interface UndoCommandOptions {
  /** Only show the undo plan (changes nothing). */
  plan: boolean;
  unattended: boolean;
  /** A run of any serve worker: read from the fleet's database, undone under its cluster lock. */
  fleet?: Pick<FleetAccess, "journals" | "withClusterLock">;
}

export async function runUndo(
  globals: GlobalOptions,
  runId: string,
  options: UndoCommandOptions = { plan: false, unattended: false },
): Promise<number> {
  if (options.plan) {
    let cluster: string | undefined;
    const undo = await withTarget(globals, (target) => {
      cluster = target.cluster;
      return (async () =>
        planUndo({
          ...target,
          stateDir: globals.stateDir,
          runId,
          runbookFor: runbookById,
          listener: progressFor(globals, true),
          ...(options.fleet ? { journals: await options.fleet.journals(target.cluster, runId) } : {}),
        }))();
    });
    printOutput(globals, renderUndoPlan(undo, globals.output, viewOptions(globals)), { cluster });
    return undo.refusal ? EXIT.refused : EXIT.ok;
  }
  const fleet = options.fleet;
  return mutating(globals, options.unattended, (target, gate, listener, signal) => {
    const undo = async () =>
      undoRun({
        ...target,
        stateDir: globals.stateDir,
        runId,
        runbookFor: runbookById,
        mode: options.unattended ? "unattended" : "interactive",
        gate,
        listener,
        signal,
        // Read under the lock: a worker that held it may have appended to the run meanwhile.
        ...(fleet ? { journals: await fleet.journals(target.cluster, runId) } : {}),
      });
    return fleet ? fleet.withClusterLock(target.cluster, undo) : undo();
  });
}

type Operation = (
  target: Parameters<Parameters<typeof withTarget>[1]>[0],
  gate: Gate,
  listener: EngineListener,
  signal: AbortSignal,
) => Promise<RunResult>;

/** How long a second Ctrl-C waits for the nodes to drop this run's locks before exiting anyway. */
const NODE_LOCK_RELEASE_DEADLINE_MS = 2_000;

async function mutating(globals: GlobalOptions, unattended: boolean, operation: Operation): Promise<number> {
  const progress = progressFor(globals);
  const controller = new AbortController();
  const ran: RunProgress = { started: [], ended: new Map() };
  const tracker: EngineListener = {
    onStepStart: (step, _index, plan) => {
      ran.plan = plan;
      ran.started.push(step.id);
    },
    onStepEnd: (step, status) => {
      ran.ended.set(step.id, status);
    },
  };
  const asked = unattended
    ? unattendedGate
    : interactiveGate(progress, globals.color, controller.signal, () => onSigint());
  const gate: Gate = (request) => {
    ran.plan = request.plan;
    return asked(request);
  };
  let target: ClusterTarget | undefined;
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts === 1) {
      controller.abort();
      process.stderr.write(
        "\nInterrupted: stopping before the next step (a question waiting is answered no; Ctrl-C again to stop at once; `pvefix undo` puts back what ran).\n",
      );
      return;
    }
    if (interrupts > 2) return;
    process.stderr.write("\nInterrupted again: recording the stop in the journal and releasing the locks…\n");
    void stopAtOnce(globals, target, ran).then(
      (code) => process.exit(code),
      () => process.exit(exitCodeFor("interrupted")),
    );
  };
  process.on("SIGINT", onSigint);
  try {
    const result = await withTarget(globals, (opened) => {
      target = opened;
      return operation(opened, gate, combineListeners(progress, tracker), controller.signal);
    });
    await progress.idle();
    printOutput(globals, renderRunResult(result, globals.output, viewOptions(globals)), {
      cluster: target?.cluster,
    });
    return exitCodeFor(result.outcome);
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/**
 * The second Ctrl-C: say in the journal what was in flight and what is left, free the locks, say
 * what to do. Returns the exit code: 5 (interrupted) for a run that started, 130 (the shell's
 * code for Ctrl-C) when no run had started and nothing was changed.
 */
async function stopAtOnce(
  globals: GlobalOptions,
  target: ClusterTarget | undefined,
  ran: RunProgress,
): Promise<number> {
  const notStarted = 130;
  if (!target) {
    process.stderr.write("Stopped before the run started: nothing was changed.\n");
    return notStarted;
  }
  try {
    const stopped = await abandonRun({
      stateDir: globals.stateDir,
      cluster: target.cluster,
      transport: target.transport,
      progress: ran,
      deadlineMs: NODE_LOCK_RELEASE_DEADLINE_MS,
    });
    if (!stopped) {
      process.stderr.write("Stopped before the run started: nothing was changed.\n");
      return notStarted;
    }
    const view = viewOptions(globals);
    const lines = [
      `‼ Run ${stopped.runId} stopped at once: ${stopped.message}`,
      ...(stopped.journaled
        ? []
        : ["  the journal could not record the stop (state directory not writable)"]),
      ...(stopped.nodeLocksKept.length > 0
        ? [
            `  node lock kept on ${stopped.nodeLocksKept.join(", ")} (no answer in time); the next run takes it over`,
          ]
        : []),
      `journal: ${onTarget(`pvefix show ${stopped.runId}`, view.state)}`,
      `undo:    ${onTarget(`pvefix undo ${stopped.runId}`, view.target)}`,
    ];
    process.stderr.write(`${lines.join("\n")}\n`);
    if (globals.output === "json") {
      // The run's result will never be printed: this is the one document a script reads instead.
      const doc = {
        kind: "interrupted",
        runId: stopped.runId,
        outcome: "interrupted",
        exitCode: exitCodeFor("interrupted"),
        message: stopped.message,
        inFlight: stopped.inFlight,
        notStarted: stopped.notStarted,
        nodeLocksKept: stopped.nodeLocksKept,
      };
      printOutput(globals, JSON.stringify(doc), { cluster: target.cluster });
    }
  } catch (error) {
    process.stderr.write(`Could not record the stop: ${(error as Error).message}\n`);
  }
  return exitCodeFor("interrupted");
}

/**
 * A plan made from a report (`plan --from`) read a past, partial view of one node: it is for
 * review. Refused before anything is probed, as a stale plan is (exit 3): re-plan on the cluster.
 */
function refuseReportPlan(raw: unknown, file: string): void {
  const from = (raw as { fromReport?: unknown } | null)?.fromReport;
  if (from === undefined) return;
  const runbook = (raw as { runbook?: unknown }).runbook;
  throw new EngineError(
    "PVEFIX_STALE_PLAN",
    `✖ ${file} was planned ${FROM_REPORT_NOTE}; pvefix apply does not run it`,
    `run \`pvefix plan ${typeof runbook === "string" ? runbook : "<runbook>"} … -i INVENTORY --save FILE\` against the cluster and apply that`,
  );
}
