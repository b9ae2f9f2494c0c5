/**
 * The one place where errors become exit codes (design.md): 0 done or nothing to do, 1 failed
 * and rolled back, 2 bad input, 3 refused by a guard, 4 needs a human, 5 rollback incomplete.
 */
import { CommanderError } from "commander";
import { EngineError } from "../engine/errors.js";
import { isStateDirFault } from "../engine/lock.js";
import { InventoryError } from "../inventory/load.js";
import { ParseError } from "../pve/parsers/format.js";
import { TransportError } from "../transport/errors.js";
import { GlobalOptionError } from "./global-options.js";

export const EXIT = { ok: 0, failed: 1, badInput: 2, refused: 3, needsHuman: 4, manual: 5 } as const;

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
