/**
 * One command on an open connection: a fresh `exec` channel, stdin written then closed, output
 * collected, and an honest result. A timeout gives control back at once; a dropped connection
 * is reported as `connectionLost` (its effect on the node is unknown).
 */

import type { ClientChannel } from "ssh2";
import { EXIT } from "../../errors/exit-codes.js";
import { PvefixError } from "../../errors/pvefix-error.js";
import { TransportError } from "../errors.js";
import { signalExitCode } from "../local.js";
import { type CommandResult, commandResult, DEFAULT_TIMEOUT_MS, type ExecOptions } from "../types.js";
import type { SshConnection } from "./connection.js";

/** How long a timed-out channel may hold its slot before the connection is retired (see SshConnection.retire). */
const CLOSE_GRACE_MS = 2_000;

/** The connection went away before the command was sent: it never ran, so another connection may run it. */
export class NotStarted extends PvefixError {
  override readonly name = "NotStarted";
  readonly code = "PVEFIX_NOT_STARTED";
  constructor(message: string) {
    super(message, { exitCode: EXIT.failed, internal: true });
  }
}

/** What a batch needs beyond a plain exec: the output as it arrives, and a way to stop early. */
export interface StreamingExecOptions extends Omit<ExecOptions, "signal"> {
  /** Takes the stdout as it arrives; the result then carries none (a kept-open shell would pile it up). */
  onStdout?: (chunk: Buffer) => void;
  /** Likewise for stderr. */
  onStderr?: (chunk: Buffer) => void;
  /**
   * Aborting stops the command like a timeout does (the result says `timedOut`); aborted before
   * the channel opened, the command is never sent. The transport turns this into ExecOptions.signal's
   * rejection.
   */
  stop?: AbortSignal;
  /**
   * Keep stdin open and hand over a writer once the channel is open (instead of writing `stdin`
   * and closing it): for a shell that reads scripts as they come (read-shell.ts).
   */
  openStdin?: (stdin: ChannelInput) => void;
}

export interface ChannelInput {
  write(text: string): void;
  /** End of file: the shell finishes what it runs and exits. */
  end(): void;
}

export async function execOn(
  connection: SshConnection,
  command: string,
  options: StreamingExecOptions = {},
): Promise<CommandResult> {
  const node = connection.node;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const releaseSlot = await connection.channels.acquire();
  const release = () => {
    releaseSlot();
    connection.commandSettled();
  };
  if (!connection.usable) {
    release();
    throw new NotStarted(`connection to ${node} is no longer usable`);
  }
  const started = performance.now();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let exitCode: number | null = null;
  let channel: ClientChannel | undefined;

  return new Promise<CommandResult>((resolve, reject) => {
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      unsubscribe();
    };
    const finish = (outcome: { timedOut?: boolean; connectionLost?: boolean }) => {
      if (settled) return;
      settle();
      const unfinished = Boolean(outcome.timedOut || outcome.connectionLost);
      resolve(
        commandResult({
          node,
          command,
          exitCode: unfinished ? null : exitCode,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          durationMs: performance.now() - started,
          timedOut: outcome.timedOut ?? false,
          connectionLost: outcome.connectionLost ?? false,
        }),
      );
    };

    let closeGrace: NodeJS.Timeout | undefined;
    const stop = () => {
      if (settled) return;
      finish({ timedOut: true });
      if (channel) stopChannel(channel);
      closeGrace = setTimeout(() => {
        release();
        connection.retire();
      }, CLOSE_GRACE_MS);
    };
    // A kept-open shell has no timeout of its own (Infinity); its commands have theirs.
    const timer = Number.isFinite(timeoutMs) ? setTimeout(stop, timeoutMs) : undefined;
    options.stop?.addEventListener("abort", stop, { once: true });
    const unsubscribeLost = connection.onLost(() => {
      finish({ connectionLost: true });
      release();
    });
    const unsubscribe = () => {
      unsubscribeLost();
      options.stop?.removeEventListener("abort", stop);
    };
    if (options.stop?.aborted) {
      // Cancelled while it waited for a channel slot: it never reaches the node.
      finish({ timedOut: true });
      release();
      return;
    }

    const refused = (error: Error) => {
      clearTimeout(closeGrace);
      release();
      if (settled) return;
      if (connection.isLost) return finish({ connectionLost: true });
      // The server refused the channel: the command never started, so this is a connection problem.
      settle();
      reject(
        new TransportError(
          "PVEFIX_CONNECT_FAILED",
          node,
          `${node} refused to start a command (${error.message}). Check sshd's MaxSessions on ${node} or lower maxChannelsPerConnection.`,
          { cause: error },
        ),
      );
    };

    const onOpen = (error: Error | undefined, opened: ClientChannel) => {
      if (error) return refused(error);
      channel = opened;
      opened.on("data", options.onStdout ?? ((chunk: Buffer) => stdout.push(chunk)));
      opened.stderr.on("data", options.onStderr ?? ((chunk: Buffer) => stderr.push(chunk)));
      opened.on("exit", (code: number | null, signal?: string) => {
        exitCode = code ?? (signal ? signalExitCode(signal) : null);
      });
      opened.on("close", () => {
        clearTimeout(closeGrace);
        release();
        // A channel that closes without an exit status died with its connection (or was cut by sshd).
        finish(exitCode === null ? { connectionLost: true } : {});
      });
      if (settled) return stopChannel(opened);
      if (options.openStdin) {
        // A write that races the shell's end must not throw: the close handler reports the end.
        opened.on("error", () => {});
        options.openStdin({ write: (text) => opened.write(text), end: () => opened.end() });
        return;
      }
      if (options.stdin !== undefined) opened.write(options.stdin);
      opened.end();
    };
    try {
      connection.client.exec(command, onOpen);
    } catch (error) {
      // ssh2 throws "Not connected" when the socket closed just before this exec.
      refused(error as Error);
    }
  });
}

type RawChannel = {
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { signal(id: number, name: string): void } };
};

/**
 * Ask the server to KILL the command, then close the channel. ssh2's `signal()` is a no-op once
 * stdin got EOF, so the request goes to the protocol directly. OpenSSH honours it only in
 * non-root sessions; for root the command runs on after we stop waiting for it.
 */
function stopChannel(channel: ClientChannel): void {
  const raw = channel as unknown as RawChannel;
  try {
    if (raw.outgoing?.state === "open") raw._client?._protocol?.signal(raw.outgoing.id, "KILL");
  } catch {
    // No protocol internals to reach (another ssh2 version): closing the channel still frees us.
  }
  channel.close();
}
