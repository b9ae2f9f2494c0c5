/**
 * The report transport: answers pvefix's reads from a pvereport and captured outputs, offline
 * (`diagnose --from`, `plan --from`). Read-only by construction: a command nothing captured
 * answers, a write included, fails its probe with "not in report: <command>". It is thrown, not
 * returned as a failed result, because a failed result is an answer detectors read (a non-zero
 * `stat -f` means a hung mount): an unanswered read must never pass for one.
 */
import { NotInReportError, TransportError, transportClosed } from "../transport/errors.js";
import { type CommandResult, commandResult, type ExecOptions, type Transport } from "../transport/types.js";
import { answerFrom } from "./answers.js";
import type { Captured } from "./captured.js";

export class ReportTransport implements Transport {
  readonly kind = "report" as const;
  /** Every command asked and not answered, once each, in the order asked. */
  readonly notAnswered: Array<{ node: string; command: string }> = [];
  private readonly closer = new AbortController();

  constructor(readonly captured: Captured) {}

  get closing(): AbortSignal {
    return this.closer.signal;
  }

  async exec(node: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    if (this.closer.signal.aborted) throw transportClosed(node);
    options.signal?.throwIfAborted();
    if (!this.captured.origins.some((o) => o.node === node)) {
      const from = this.captured.origins.map((o) => o.node).join(", ");
      throw new TransportError(
        "PVEFIX_NOT_IN_REPORT",
        node,
        `${node} is not in the report: a pvereport is one node's view (this one is from ${from}); add ${node}'s own pvereport to --from to check it`,
        { final: true },
      );
    }
    const answer = answerFrom(this.captured, node, command);
    if (!answer) {
      if (!this.notAnswered.some((n) => n.node === node && n.command === command))
        this.notAnswered.push({ node, command });
      throw new NotInReportError(node, command);
    }
    return commandResult({
      node,
      command,
      stdout: answer.stdout,
      stderr: answer.stderr,
      exitCode: answer.exitCode,
      durationMs: 0,
      timedOut: false,
      connectionLost: false,
    });
  }

  async close(): Promise<void> {
    this.closer.abort(transportClosed());
  }
}
