/** Lab-level failures (missing state, lock timeouts, unknown scenario). Command failures are outputs, not errors. */
export type LabErrorCode =
  | "PVEFIX_LAB_MISSING"
  | "PVEFIX_LAB_LOCK_TIMEOUT"
  | "PVEFIX_LAB_BAD_STATE"
  | "PVEFIX_LAB_UNKNOWN_SCENARIO";

export class LabError extends Error {
  override readonly name = "LabError";
  constructor(
    readonly code: LabErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
