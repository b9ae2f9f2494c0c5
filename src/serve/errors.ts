/** The service's errors: bad input (exit 2) and refusals of an approval (exit 3), coded like the engine's. */
import { EXIT, type ExitCode } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";

export type ServeErrorCode =
  | "PVEFIX_BAD_INPUT"
  | "PVEFIX_SERVE_RULES"
  | "PVEFIX_SERVE_TOKEN"
  | "PVEFIX_APPROVAL_NOT_FOUND"
  | "PVEFIX_APPROVAL_REFUSED"
  | "PVEFIX_SERVE_STATE"
  | "PVEFIX_SERVE_DATABASE";

const SERVE_EXIT: Record<ServeErrorCode, ExitCode> = {
  PVEFIX_BAD_INPUT: EXIT.badInput,
  PVEFIX_SERVE_RULES: EXIT.badInput,
  PVEFIX_SERVE_TOKEN: EXIT.badInput,
  PVEFIX_APPROVAL_NOT_FOUND: EXIT.badInput,
  PVEFIX_APPROVAL_REFUSED: EXIT.refused,
  PVEFIX_SERVE_STATE: EXIT.badInput,
  PVEFIX_SERVE_DATABASE: EXIT.failed,
};

export class ServeError extends PvefixError {
  override readonly name = "ServeError";
  constructor(
    readonly code: ServeErrorCode,
    message: string,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, { exitCode: SERVE_EXIT[code], hint, cause: options?.cause });
  }
}

/** A zod issue path as a field name a person can find in the file or the JSON: `rules[2].match.alertname`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "(root)";
}
