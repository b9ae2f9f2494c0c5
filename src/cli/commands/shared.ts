/** Small glue shared by commands: open the target, pick listeners, print. */
import * as fs from "node:fs";
import { type ClusterTarget, combineListeners, type EngineListener, InputError } from "../../index.js";
import type { GlobalOptions } from "../global-options.js";
import { jsonlStream, lineProgress, listrProgress, type Progress } from "../progress.js";
import { openTarget, stateFlags, targetFlags } from "../target.js";

/**
 * Runs `fn` against the target and closes it however `fn` ends. Closing cancels every probe still
 * in flight (a detector may have stopped waiting for some) and the transport never connects
 * again, so nothing is left to keep the process alive once the result is printed.
 */
export async function withTarget<T>(
  globals: GlobalOptions,
  fn: (target: ClusterTarget) => Promise<T>,
): Promise<T> {
  const target = await openTarget(globals);
  try {
    return await fn(target);
  } finally {
    await target.transport.close();
  }
}

/** Spinners only on a terminal and never with machine output; plain stderr lines otherwise. */
export function progressFor(globals: GlobalOptions, quiet = false): Progress {
  if (globals.jsonl) {
    const lines = globals.verbose ? lineProgress({ verbose: true }) : {};
    return { ...combineListeners(lines, jsonlStream()), idle: async () => {} };
  }
  if (globals.output === "json" || quiet) {
    return globals.verbose ? lineProgress({ verbose: true }) : { idle: async () => {} };
  }
  return spinnersFit() ? listrProgress(globals) : lineProgress(globals);
}

/**
 * listr2 draws on stdout and wraps at stdout's width: with stdout redirected its lines would land
 * in the result file, and on a terminal of 0 columns (`script`, some `docker -t`) it prints one
 * character per line.
 */
function spinnersFit(): boolean {
  return (
    process.stderr.isTTY === true &&
    process.stdout.isTTY === true &&
    (process.stdout.columns ?? 0) > 0 &&
    !process.env.CI
  );
}

/** How views render for this invocation: color, and the flags next commands need to reach the same cluster. */
export function viewOptions(globals: GlobalOptions): { color: boolean; target: string; state: string } {
  return { color: globals.color, target: targetFlags(globals), state: stateFlags(globals) };
}

export function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export type { EngineListener, Progress };

/**
 * Local files named by parameters (`--file`) are the operator's input: one that cannot be read is
 * bad input (exit 2), found before anything is probed, not a guard refusing (exit 3).
 */
export function checkLocalFiles(rawParams: Record<string, unknown>): void {
  const file = rawParams.file;
  if (typeof file !== "string" || file === "") return;
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (!fs.statSync(file).isFile()) throw Object.assign(new Error("not a regular file"), { code: "EISDIR" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new InputError([{ field: "--file", message: `Cannot read ${file}: ${why}` }]);
  }
}
