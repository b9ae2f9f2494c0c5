/** `pvefix run`, `pvefix apply FILE` and `pvefix undo <run-id>`: the commands that change things. */
import * as fs from "node:fs";
import { runbookById } from "../../../runbooks/index.js";
import type { Gate } from "../../engine/apply.js";
import { EngineError } from "../../engine/errors.js";
import {
  applySavedPlan,
  exitCodeFor,
  planUndo,
  type RunResult,
  runRunbook,
  undoRun,
} from "../../engine/session.js";
import { renderRunResult, renderUndoPlan } from "../../views/index.js";
import { EXIT } from "../exit-codes.js";
import { interactiveGate, unattendedGate } from "../gates.js";
import type { GlobalOptions } from "../global-options.js";
import { print, progressFor, viewOptions, withTarget } from "./shared.js";

export interface RunCommandOptions {
  runbook: string;
  rawParams: Record<string, unknown>;
  unattended: boolean;
}

export async function runRun(globals: GlobalOptions, options: RunCommandOptions): Promise<number> {
  const runbook = runbookById(options.runbook);
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
}

export async function runUndo(
  globals: GlobalOptions,
  runId: string,
  options: UndoCommandOptions = { plan: false, unattended: false },
): Promise<number> {
  if (options.plan) {
    const undo = await withTarget(globals, (target) =>
      planUndo({
        ...target,
        stateDir: globals.stateDir,
        runId,
        runbookFor: runbookById,
        listener: progressFor(globals, true),
      }),
    );
    print(renderUndoPlan(undo, globals.output, viewOptions(globals)));
    return undo.refusal ? EXIT.refused : EXIT.ok;
  }
  return mutating(globals, options.unattended, (target, gate, listener, signal) =>
    undoRun({
      ...target,
      stateDir: globals.stateDir,
      runId,
      runbookFor: runbookById,
      mode: options.unattended ? "unattended" : "interactive",
      gate,
      listener,
      signal,
    }),
  );
}

type Operation = (
  target: Parameters<Parameters<typeof withTarget>[1]>[0],
  gate: Gate,
  listener: ReturnType<typeof progressFor>,
  signal: AbortSignal,
) => Promise<RunResult>;

async function mutating(globals: GlobalOptions, unattended: boolean, operation: Operation): Promise<number> {
  const progress = progressFor(globals);
  const gate = unattended ? unattendedGate : interactiveGate(progress, globals.color);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    controller.abort();
    process.stderr.write(
      "\nInterrupted: stopping before the next step (Ctrl-C again to quit at once; `pvefix undo` puts back what ran).\n",
    );
  };
  process.on("SIGINT", onSigint);
  try {
    const result = await withTarget(globals, (target) =>
      operation(target, gate, progress, controller.signal),
    );
    await progress.idle();
    print(renderRunResult(result, globals.output, viewOptions(globals)));
    return exitCodeFor(result.outcome);
  } finally {
    process.off("SIGINT", onSigint);
  }
}
