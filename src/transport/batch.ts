/**
 * Several read-only commands in one round trip: a POSIX sh script that runs them one after
 * another and follows each with a marker line on stdout (index and exit status) and on stderr
 * (index). The marker carries a random nonce, so no command output can forge one, and it comes
 * right after the output without a newline of its own, so every command's bytes are exact.
 * Pure: the transport feeds the channel's output in and takes each command's result out.
 */
import { randomBytes } from "node:crypto";

/** One command's share of the channel output, once both of its markers arrived. */
export interface BatchPart {
  index: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

const tag = (nonce: string) => `pvefix:${nonce}:`;

/**
 * The script for `commands`. Each runs in a subshell of its own, so an `exit`, `cd` or variable
 * in one cannot reach the next: every command behaves as if it had the channel to itself. Its
 * stdin is /dev/null: a shell that reads its script from stdin must not lend it to a command.
 * The script ends with a newline, so a shell reading it from stdin runs the last line at once.
 */
export function batchScript(commands: readonly string[], nonce: string): string {
  const t = tag(nonce);
  return commands
    .map(
      (command, i) => `(\n${command}\n) </dev/null\nprintf '${t}${i}:%d\\n' $?; printf '${t}${i}\\n' >&2\n`,
    )
    .join("");
}

/** Splits one stream (stdout or stderr) at the markers; `withStatus` for stdout's `i:status`. */
class MarkedStream {
  private pending: Buffer = Buffer.alloc(0);
  private readonly tag: Buffer;
  readonly parts: Array<{ index: number; status: number | null; bytes: Buffer }> = [];

  constructor(
    nonce: string,
    private readonly withStatus: boolean,
  ) {
    this.tag = Buffer.from(tag(nonce));
  }

  /** The bytes after the last marker: the output so far of the command still running. */
  get rest(): Buffer {
    return this.pending;
  }

  /** Returns the indexes whose marker completed in this chunk. */
  push(chunk: Buffer): number[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const done: number[] = [];
    for (;;) {
      const at = this.pending.indexOf(this.tag);
      if (at === -1) break;
      const eol = this.pending.indexOf(0x0a, at + this.tag.length);
      if (eol === -1) break;
      const fields = this.pending
        .subarray(at + this.tag.length, eol)
        .toString("latin1")
        .split(":");
      const index = Number(fields[0]);
      const status = this.withStatus ? Number(fields[1]) : null;
      this.parts.push({ index, status, bytes: this.pending.subarray(0, at) });
      done.push(index);
      this.pending = this.pending.subarray(eol + 1);
    }
    return done;
  }
}

/**
 * Reassembles the results of one batch from its channel output. `onStdout`/`onStderr` return
 * the commands that just completed (both markers seen), in order.
 */
export class BatchReader {
  private readonly out: MarkedStream;
  private readonly err: MarkedStream;
  /** Commands handed out so far; they complete in order. */
  private emitted = 0;

  constructor(nonce: string) {
    this.out = new MarkedStream(nonce, true);
    this.err = new MarkedStream(nonce, false);
  }

  /** Commands whose result is complete (both markers arrived), from the start of the batch. */
  get completed(): number {
    return this.emitted;
  }

  /** Commands whose stdout marker arrived: the next one is the command now running. */
  get finished(): number {
    return this.out.parts.length;
  }

  onStdout(chunk: Buffer): BatchPart[] {
    this.out.push(chunk);
    return this.complete();
  }

  onStderr(chunk: Buffer): BatchPart[] {
    this.err.push(chunk);
    return this.complete();
  }

  /** What the running command printed before the channel ended without its marker. */
  unfinished(): { stdout: string; stderr: string } {
    const errIndex = this.err.parts.length;
    // Its stderr may still hold the stderr of commands before it whose marker never came.
    return {
      stdout: this.out.rest.toString("utf8"),
      stderr: errIndex === this.finished ? this.err.rest.toString("utf8") : "",
    };
  }

  private complete(): BatchPart[] {
    const ready: BatchPart[] = [];
    const count = Math.min(this.out.parts.length, this.err.parts.length);
    for (let i = this.emitted; i < count; i++) {
      const out = this.out.parts[i]!;
      const err = this.err.parts[i]!;
      // Cannot happen with a POSIX shell; if it does, stop trusting the stream and let the
      // caller run the rest one by one.
      if (out.index !== i || err.index !== i || !Number.isInteger(out.status)) break;
      this.emitted = i + 1;
      ready.push({
        index: i,
        exitCode: out.status!,
        stdout: out.bytes.toString("utf8"),
        stderr: err.bytes.toString("utf8"),
      });
    }
    return ready;
  }
}
