/**
 * The one place where errors become exit codes (design.md): 0 done or nothing to do, 1 failed
 * and rolled back, 2 bad input, 3 refused by a guard, 4 needs a human, 5 rollback incomplete.
 * `diagnose` says what it found with codes of its own, 10–12, apart from the run codes.
 */
import { CommanderError } from "commander";
import type { DiagnosisStatus } from "../engine/diagnose.js";
import { EngineError } from "../engine/errors.js";
import { isStateDirFault } from "../engine/lock.js";
import { InventoryError } from "../inventory/load.js";
import { ParseError } from "../pve/parsers/format.js";
import { TransportError } from "../transport/errors.js";
import { GlobalOptionError } from "./global-options.js";

export const EXIT = { ok: 0, failed: 1, badInput: 2, refused: 3, needsHuman: 4, manual: 5 } as const;

/**
 * `pvefix diagnose`, for cron and monitoring (docs/cli.md). When several apply the highest wins:
 * a sweep that could not see every node cannot promise that nothing worse is there.
 */
export const DIAGNOSE_EXIT: Record<DiagnosisStatus, number> = {
  clear: 0,
  findings: 10,
  critical: 11,
  incomplete: 12,
};

const DIAGNOSE_EXIT_MEANING: Record<DiagnosisStatus, string> = {
  clear: "every node answered, every detector finished, nothing found",
  findings: "findings, none critical",
  critical: "at least one critical finding",
  incomplete:
    "not everything could be checked: a node did not answer (refused, timed out, host key changed or unknown, authentication failed) or a detector failed",
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
  'When several apply the highest wins: 12 over 11 over 10. The findings (and -o json\'s "status") always show everything that was seen.';

/** The table for `pvefix diagnose --help`. */
export function diagnoseExitHelp(): string {
  return [
    DIAGNOSE_EXIT_TITLE,
    ...diagnoseExitRows().map((r) => `  ${String(r.code).padEnd(3)} ${r.meaning}`),
    DIAGNOSE_EXIT_PRECEDENCE,
  ].join("\n");
}

export function exitCodeForError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  if (error instanceof GlobalOptionError || error instanceof InventoryError || error instanceof ParseError) {
    return EXIT.badInput;
  }
  if (error instanceof TransportError) {
    return error.code === "PVEFIX_HOST_KEY_UNKNOWN" || error.code === "PVEFIX_HOST_KEY_CHANGED"
      ? EXIT.refused
      : EXIT.failed;
  }
  if (error instanceof EngineError) {
    switch (error.code) {
      case "PVEFIX_BAD_INPUT":
      case "PVEFIX_UNKNOWN_RUNBOOK":
      case "PVEFIX_PLAN_FORMAT":
      case "PVEFIX_RUN_NOT_FOUND":
      case "PVEFIX_STATE_DIR":
        return EXIT.badInput;
      case "PVEFIX_LOCKED":
      case "PVEFIX_STALE_PLAN":
      case "PVEFIX_PROBE_FAILED":
        return EXIT.refused;
      case "PVEFIX_NOTHING_TO_UNDO":
        return EXIT.ok;
      case "PVEFIX_STATE_WRITE":
        return EXIT.manual;
    }
  }
  // A file pvefix could not write (its state directory full, read-only or not ours): nothing ran.
  if (isStateDirFault(error)) return EXIT.badInput;
  return EXIT.failed;
}

/** Known errors print their message (and the next step); unknown ones say they are a bug. */
export function describeError(error: unknown): string {
  if (error instanceof EngineError)
    return error.detail ? `${error.message}\n  ${error.detail}` : error.message;
  if (
    error instanceof TransportError ||
    error instanceof GlobalOptionError ||
    error instanceof InventoryError
  ) {
    return error.message;
  }
  if (error instanceof ParseError) return `✖ ${error.message}`;
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
