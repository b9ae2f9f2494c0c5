/**
 * A POSIX shell kept open on a node for batches of reads. Each batch is written to the shell's
 * stdin as a script (../batch.ts) and answered by its markers, so the next round of reads on the
 * node costs one round trip instead of opening a channel (on the node: an sshd session and a
 * shell start). A shell runs one batch at a time; stopping a batch (a timeout, a hedge) ends the
 * shell with it, and a shell that ended is never used again.
 *
 * Kept per connection: at most KEEP_IDLE idle shells, ended when the connection stops taking
 * commands (an idle shell holds one of the connection's channel slots).
 */
import type { CommandResult } from "../types.js";
import type { SshConnection } from "./connection.js";
import { type ChannelInput, execOn } from "./exec.js";

/** Idle shells kept per connection: rounds of one node rarely overlap, so one is enough nearly always. */
const KEEP_IDLE = 2;

export interface ShellListeners {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

export class ReadShell {
  private listeners: ShellListeners | null = null;
  private ended: CommandResult | null = null;
  private readonly endListeners = new Set<(result: CommandResult) => void>();

  private constructor(
    readonly connection: SshConnection,
    private readonly input: ChannelInput,
    private readonly abort: AbortController,
    channel: Promise<CommandResult>,
  ) {
    void channel.then((result) => {
      this.ended = result;
      for (const listener of this.endListeners) listener(result);
      this.endListeners.clear();
    });
  }

  /**
   * Opens `sh` on the connection; rejects like an exec whose channel could not be opened.
   * Aborting `opening` before the channel opened gives a shell that is already over (timedOut).
   */
  static start(connection: SshConnection, opening?: AbortSignal): Promise<ReadShell> {
    return new Promise<ReadShell>((resolve, reject) => {
      const abort = new AbortController();
      let shell: ReadShell | undefined;
      if (opening?.aborted) abort.abort();
      else opening?.addEventListener("abort", () => shell ?? abort.abort(), { once: true });
      const channel: Promise<CommandResult> = execOn(connection, "sh", {
        timeoutMs: Number.POSITIVE_INFINITY,
        stop: abort.signal,
        openStdin: (stdin) => {
          shell = new ReadShell(connection, stdin, abort, channel);
          resolve(shell);
        },
        onStdout: (chunk) => shell?.listeners?.onStdout(chunk),
        onStderr: (chunk) => shell?.listeners?.onStderr(chunk),
      });
      channel.then((result) => {
        // Ended before it opened (the connection dropped): a shell that is already over.
        if (!shell) resolve(new ReadShell(connection, { write() {}, end() {} }, abort, channel));
        return result;
      }, reject);
    });
  }

  get alive(): boolean {
    return this.ended === null;
  }

  /**
   * Writes `script` and routes the output to `listeners` until `done()` says the batch is
   * complete (the shell stays open: returns null) or the shell ends (returns its channel result).
   */
  run(script: string, listeners: ShellListeners, done: () => boolean): Promise<CommandResult | null> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => {
      const finish = (result: CommandResult | null) => {
        this.listeners = null;
        this.endListeners.delete(onEnd);
        resolve(result);
      };
      const onEnd = (result: CommandResult) => finish(result);
      this.endListeners.add(onEnd);
      this.listeners = {
        onStdout: (chunk) => {
          listeners.onStdout(chunk);
          if (done()) finish(null);
        },
        onStderr: (chunk) => {
          listeners.onStderr(chunk);
          if (done()) finish(null);
        },
      };
      this.input.write(script);
    });
  }

  /** Stop whatever runs and end the shell (the result of the batch says timedOut). */
  stop(): void {
    this.abort.abort();
  }

  /** The channel's result once the shell has ended. */
  end(): Promise<CommandResult> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => this.endListeners.add(resolve));
  }

  /** End of input: the shell exits when idle. */
  close(): void {
    if (this.alive) this.input.end();
  }
}

/** The idle shells of each connection. */
export class ReadShells {
  private readonly idle = new Map<SshConnection, ReadShell[]>();

  /** An idle shell on this connection, or a new one (see ReadShell.start for `opening`). */
  async take(connection: SshConnection, opening?: AbortSignal): Promise<ReadShell> {
    const shells = this.idle.get(connection) ?? [];
    for (let shell = shells.pop(); shell; shell = shells.pop()) if (shell.alive) return shell;
    return ReadShell.start(connection, opening);
  }

  /** Back after a batch that completed; ended, surplus or stranded shells are closed instead. */
  give(shell: ReadShell): void {
    const { connection } = shell;
    if (!shell.alive) return;
    if (!connection.usable) {
      shell.close();
      return;
    }
    let shells = this.idle.get(connection);
    if (!shells) {
      shells = [];
      this.idle.set(connection, shells);
      // A retired connection ends once no channel is in use: its idle shells must let go.
      connection.onGone(() => {
        for (const s of this.idle.get(connection) ?? []) s.close();
        this.idle.delete(connection);
      });
    }
    if (shells.length >= KEEP_IDLE) shell.close();
    else shells.push(shell);
  }
}
