/**
 * Exit codes as the CLI shows and returns them. The numbers are in the one table,
 * src/errors/exit-codes.ts; every pvefix error carries its own (`PvefixError.exitCode`).
 */
import { CommanderError } from "commander";
import type { DiagnosisStatus } from "../engine/diagnose.js";
import { isStateDirFault } from "../engine/lock.js";
import { DIAGNOSE_EXIT, EXIT } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";

export { DIAGNOSE_EXIT, EXIT };

const DIAGNOSE_EXIT_MEANING: Record<DiagnosisStatus, string> = {
  clear: "every node answered, every detector finished, nothing found",
  findings: "findings, none critical",
  critical: "at least one critical finding",
  incomplete:
    "not everything could be checked: a node did not answer (refused, timed out, host key changed or unknown, authentication failed), a detector failed, or (over several clusters) a cluster could not be swept",
};

/** Diagnose's codes with their meaning, in order. */
export function diagnoseExitRows(): Array<{ code: number; meaning: string }> {
  return (Object.keys(DIAGNOSE_EXIT) as DiagnosisStatus[]).map((status) => ({
    code: DIAGNOSE_EXIT[status],
    meaning: DIAGNOSE_EXIT_MEANING[status],
  }));
}

export const DIAGNOSE_EXIT_TITLE =
  "Exit codes of diagnose (apart from the run codes 0-5; bad input is still 2):";
export const DIAGNOSE_EXIT_PRECEDENCE =
  'When several apply the highest wins: 12 over 11 over 10. The findings (and -o json\'s "status") always show everything that was seen. ' +
  "Over several clusters (-i given more than once, --inventory-dir) the same rule applies across them: the exit code is the worst cluster's, and a cluster that could not be swept at all (its inventory does not load, or names a cluster already swept) counts as 12; bad flags are still 2, before anything is swept.";

/** The table for `pvefix diagnose --help`. */
export function diagnoseExitHelp(): string {
  return [
    DIAGNOSE_EXIT_TITLE,
    ...diagnoseExitRows().map((r) => `  ${String(r.code).padEnd(3)} ${r.meaning}`),
    DIAGNOSE_EXIT_PRECEDENCE,
  ].join("\n");
}

/** A pvefix error ends with its own exit code; commander's usage errors are bad input. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  if (reported(error)) return error.exitCode;
  // A file pvefix could not write (its state directory full, read-only or not ours): nothing ran.
  if (isStateDirFault(error)) return EXIT.badInput;
  return EXIT.failed;
}

/** A coded error meant for the operator; an internal one that got this far is a bug. */
function reported(error: unknown): error is PvefixError {
  return error instanceof PvefixError && !error.internal;
}

/** Known errors print their message (and the next step); unknown ones say they are a bug. */
export function describeError(error: unknown): string {
  if (reported(error)) return error.describe();
  if (isStateDirFault(error)) {
    const where = error.path ? ` ${error.path}` : "";
    return [
      `✖ Cannot write${where}: ${error.message.replace(/^[A-Z]+: /, "").replace(/, \w+ .*$/, "")} (${error.code})`,
      "  nothing was run; free space or fix the permissions there (or point --state-dir / $PVEFIX_STATE_DIR elsewhere) and run again",
    ].join("\n");
  }
  const e = error as Error;
  return [
    "✖ Internal error: this is a bug in pvefix. Please report it with the output below and `pvefix --version`.",
    e?.stack ?? String(error),
  ].join("\n");
}
