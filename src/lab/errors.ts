/** Lab-level failures (missing state, lock timeouts, unknown scenario). Command failures are outputs, not errors. */
import { EXIT, type ExitCode } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";

export type LabErrorCode =
  | "PVEFIX_LAB_MISSING"
  | "PVEFIX_LAB_LOCK_TIMEOUT"
  | "PVEFIX_LAB_BAD_STATE"
  | "PVEFIX_LAB_UNKNOWN_SCENARIO";

const LAB_EXIT: Record<LabErrorCode, ExitCode> = {
  PVEFIX_LAB_MISSING: EXIT.badInput,
  PVEFIX_LAB_BAD_STATE: EXIT.badInput,
  PVEFIX_LAB_UNKNOWN_SCENARIO: EXIT.badInput,
  // Another pvefix holds the lab: like a locked state directory, a refusal to go on.
  PVEFIX_LAB_LOCK_TIMEOUT: EXIT.refused,
};

/** Each message carries its own advice (`pvefix lab reset`, the lock to remove). */
export class LabError extends PvefixError {
  override readonly name = "LabError";
  constructor(
    readonly code: LabErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, { exitCode: LAB_EXIT[code], cause: options?.cause });
  }
}
