/** Connection-level failures. Command failures are results, not errors (see types.ts). */
import { EXIT } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";

export type TransportErrorCode =
  | "PVEFIX_HOST_KEY_UNKNOWN"
  | "PVEFIX_HOST_KEY_CHANGED"
  | "PVEFIX_AUTH_FAILED"
  | "PVEFIX_CONNECT_FAILED"
  | "PVEFIX_UNKNOWN_NODE"
  | "PVEFIX_TRANSPORT_CLOSED"
  /** A report transport has no capture of this node at all (see src/report). */
  | "PVEFIX_NOT_IN_REPORT";

export class TransportError extends PvefixError {
  override readonly name = "TransportError";
  private readonly final: boolean;

  constructor(
    readonly code: TransportErrorCode,
    readonly node: string,
    message: string,
    options?: {
      cause?: unknown;
      /**
       * Another attempt cannot help: the node refused, has no route, or did not answer within the
       * connect timeout (that wait was the attempt). @default false
       */
      final?: boolean;
    },
  ) {
    // An unknown or changed host key is a refusal to go on, not a failure: the operator decides.
    const hostKey = code === "PVEFIX_HOST_KEY_UNKNOWN" || code === "PVEFIX_HOST_KEY_CHANGED";
    super(message, { exitCode: hostKey ? EXIT.refused : EXIT.failed, cause: options?.cause });
    this.final = options?.final ?? false;
  }

  /**
   * Worth another attempt: a connection that broke during the handshake or a channel the server
   * would not open. Never host-key or auth problems, a node that refused or did not answer, or a
   * closed transport.
   */
  get retryable(): boolean {
    return this.code === "PVEFIX_CONNECT_FAILED" && !this.final;
  }
}

/**
 * What every use of a transport gets after `close()`: the transport never connects again. Without
 * a node: the reason the transport's `closing` signal carries to everything it cancels.
 */
export function transportClosed(node?: string): TransportError {
  const message =
    node === undefined
      ? "transport closed"
      : `transport closed: nothing more is sent to ${node} (the command that opened it has ended)`;
  return new TransportError("PVEFIX_TRANSPORT_CLOSED", node ?? "*", message, { final: true });
}

/**
 * A report transport was asked a command no capture answers: the probe fails with this message,
 * never with an answer made up for it. Not retried (nothing would change).
 */
export class NotInReportError extends PvefixError {
  override readonly name = "NotInReportError";
  readonly code = "PVEFIX_NOT_IN_REPORT";
  constructor(
    readonly node: string,
    readonly command: string,
  ) {
    // Probes turn it into "not in report" findings; one that reaches the CLI is a bug.
    super(`not in report: ${command}`, { exitCode: EXIT.failed, internal: true });
  }
}

/**
 * The NotInReportError behind a failure, or null: probes wrap it in a ProbeError (its cause), and
 * a probe may fall back to what the report does hold only for this failure, never for another.
 */
export function notInReport(error: unknown): NotInReportError | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++)
    if (e instanceof NotInReportError) return e;
  return null;
}
