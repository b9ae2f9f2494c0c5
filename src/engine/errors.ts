/** Engine errors: few, named, coded; each code's exit code is in `ENGINE_EXIT`. */
import { EXIT, type ExitCode } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";

export type EngineErrorCode =
  | "PVEFIX_BAD_INPUT"
  | "PVEFIX_STALE_PLAN"
  | "PVEFIX_PLAN_FORMAT"
  | "PVEFIX_LOCKED"
  | "PVEFIX_RUN_NOT_FOUND"
  | "PVEFIX_NOTHING_TO_UNDO"
  | "PVEFIX_PROBE_FAILED"
  | "PVEFIX_UNKNOWN_RUNBOOK"
  | "PVEFIX_STATE_WRITE"
  | "PVEFIX_STATE_DIR";

const ENGINE_EXIT: Record<EngineErrorCode, ExitCode> = {
  PVEFIX_BAD_INPUT: EXIT.badInput,
  PVEFIX_UNKNOWN_RUNBOOK: EXIT.badInput,
  PVEFIX_PLAN_FORMAT: EXIT.badInput,
  PVEFIX_RUN_NOT_FOUND: EXIT.badInput,
  PVEFIX_STATE_DIR: EXIT.badInput,
  PVEFIX_LOCKED: EXIT.refused,
  PVEFIX_STALE_PLAN: EXIT.refused,
  PVEFIX_PROBE_FAILED: EXIT.refused,
  PVEFIX_NOTHING_TO_UNDO: EXIT.ok,
  PVEFIX_STATE_WRITE: EXIT.manual,
};

export class EngineError extends PvefixError {
  override readonly name = "EngineError";
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** The next step; the same as `hint`. */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, { exitCode: ENGINE_EXIT[code], hint: detail, cause: options?.cause });
  }
}

/** One input problem: the field (as the operator typed it), what was expected, what was given. */
export interface InputIssue {
  field: string;
  message: string;
}

export class InputError extends EngineError {
  constructor(readonly issues: InputIssue[]) {
    super("PVEFIX_BAD_INPUT", issues.map((i) => `✖ ${i.message}\n  → at ${i.field}`).join("\n"));
  }
}

/**
 * The journal could not be written (disk full, read-only state directory). The engine stops at
 * once: without a journal nothing that follows could be undone later, not even a rollback.
 */
export class JournalWriteError extends EngineError {
  constructor(file: string, cause: unknown) {
    super(
      "PVEFIX_STATE_WRITE",
      `Cannot write the journal ${file}: ${(cause as Error).message}`,
      "the run stopped here; free space in the state directory, then check `pvefix show <run-id>` for what already ran and `pvefix undo <run-id>`",
      { cause },
    );
  }
}
