/** Connection-level failures. Command failures are results, not errors (see types.ts). */
export type TransportErrorCode =
  | "PVEFIX_HOST_KEY_UNKNOWN"
  | "PVEFIX_HOST_KEY_CHANGED"
  | "PVEFIX_AUTH_FAILED"
  | "PVEFIX_CONNECT_FAILED"
  | "PVEFIX_UNKNOWN_NODE";

export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: TransportErrorCode,
    readonly node: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Host-key and auth problems cannot be fixed by retrying. */
  get retryable(): boolean {
    return this.code === "PVEFIX_CONNECT_FAILED";
  }
}
