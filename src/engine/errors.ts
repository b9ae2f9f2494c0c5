/** Engine errors: few, named, coded. Exit codes are assigned in one place in src/cli/. */

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

export class EngineError extends Error {
  override readonly name = "EngineError";
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
