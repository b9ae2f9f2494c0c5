/**
 * The base of every coded pvefix error: a stable `code` for scripts, a message, an optional hint
 * (the next step, printed on its own line) and the exit code the CLI ends with. A layer throws its
 * own subclass; the CLI needs to know none of them.
 */
import type { ExitCode } from "./exit-codes.js";

export interface PvefixErrorOptions {
  exitCode: ExitCode;
  hint?: string | undefined;
  cause?: unknown;
  /**
   * An error that other code catches and turns into a result (a refusal, a command's output, a
   * rollback): one that reaches the CLI is a bug in pvefix, and is reported as one. @default false
   */
  internal?: boolean;
}

export abstract class PvefixError extends Error {
  abstract readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly internal: boolean;

  constructor(message: string, options: PvefixErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode;
    this.hint = options.hint;
    this.internal = options.internal ?? false;
  }

  /** What the CLI prints: the message, then the hint. */
  describe(): string {
    return this.hint ? `${this.message}\n  ${this.hint}` : this.message;
  }
}

/** Narrows to a pvefix error, optionally of one code, without importing the layer that throws it. */
export function isPvefixError(error: unknown, code?: string): error is PvefixError {
  return error instanceof PvefixError && (code === undefined || error.code === code);
}
