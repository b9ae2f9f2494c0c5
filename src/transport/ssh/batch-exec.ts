/**
 * A batch of read-only commands in a shell kept open on the node (read-shell.ts; the script and
 * its markers are in ../batch.ts). Each command keeps its own result and its own timeout: the
 * clock of a command starts when the one before it finished. When a command times out or the
 * connection drops, the commands after it never started; they go out again as a new batch. When
 * the node's shell ends the script early (no POSIX sh, or it died), the rest run one by one.
 * A batch that completes leaves its shell open for the node's next round of reads.
 *
 * A command that hangs (a read under a hung pmxcfs or NFS mount) must not hold the reads queued
 * behind it for its whole timeout: once one has run for HEDGE_MS, the commands after it go out on
 * channels of their own, and the shell is ended as soon as the slow one answers. The shell may
 * have started the next one by then: a read can run twice, never a change.
 */
import { type BatchPart, BatchReader, batchScript, newNonce } from "../batch.js";
import { type BatchCommand, type CommandResult, commandResult } from "../types.js";
import type { SshConnection } from "./connection.js";
import { NotStarted } from "./exec.js";
import type { ReadShell, ReadShells } from "./read-shell.js";

export interface BatchTarget {
  node: string;
  connection: () => Promise<SshConnection>;
  /** The transport's idle shells: a batch takes one (or opens one) and gives it back when it completed. */
  shells: ReadShells;
  /** The command alone on its own channel (the fallback). */
  single: (command: BatchCommand) => Promise<CommandResult>;
}

/**
 * A read that takes longer than this is not a quick one: stop queueing other reads behind it.
 * Not lower: on a saturated client (64 nodes on 2 cores) healthy reads wait over a second, and
 * every hedge adds channels, which slowed such a sweep from 5.4 s to 7.7 s.
 */
export const HEDGE_MS = 3_000;

export function execBatchOn(
  target: BatchTarget,
  commands: readonly BatchCommand[],
  signal?: AbortSignal,
): Promise<CommandResult>[] {
  const deferred = commands.map(() => {
    let resolve!: (r: CommandResult) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<CommandResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  });
  const settled = new Set<number>();
  const settle = (index: number, outcome: CommandResult | Promise<CommandResult>) => {
    if (settled.has(index)) return;
    settled.add(index);
    Promise.resolve(outcome).then(deferred[index]!.resolve, deferred[index]!.reject);
  };
  const fail = (index: number, error: unknown) => {
    if (settled.has(index)) return;
    settled.add(index);
    deferred[index]!.reject(error);
  };
  // Only for a command still waiting: one that has its answer (or was cancelled) is not sent again.
  const alone = (index: number) => {
    if (!settled.has(index)) settle(index, target.single(commands[index]!));
  };
  // Cancelled: every read that has not answered gets the reason at once; runOnce ends the shell.
  const cancel = () => {
    for (let i = 0; i < commands.length; i++) fail(i, signal?.reason);
  };
  if (signal?.aborted) cancel();
  else signal?.addEventListener("abort", cancel, { once: true });

  void (async () => {
    let from = 0;
    let notStartedRetries = 1;
    while (from < commands.length && !signal?.aborted) {
      const rest = commands.slice(from);
      let outcome: BatchOutcome;
      const base = from;
      try {
        outcome = await runOnce(
          target,
          rest,
          (part, durationMs) =>
            settle(base + part.index, resultOf(target.node, rest[part.index]!.command, part, durationMs)),
          (slow) => {
            for (let i = base + slow + 1; i < commands.length; i++) alone(i);
          },
          signal,
        );
      } catch (error) {
        if (error instanceof NotStarted && notStartedRetries-- > 0) continue;
        for (let i = from; i < commands.length; i++) fail(i, error);
        return;
      }
      const stopped = from + outcome.completed;
      if (outcome.completed === rest.length || !outcome.channel) return;
      const unfinished = commands[stopped]!;
      if (outcome.channel.timedOut || outcome.channel.connectionLost) {
        // Closed by us after the slow command answered: that answer is in, the rest went out alone.
        if (outcome.hedged && settled.has(stopped)) return;
        settle(
          stopped,
          commandResult({
            node: target.node,
            command: unfinished.command,
            exitCode: null,
            ...outcome.partial,
            durationMs: outcome.runningMs,
            timedOut: outcome.channel.timedOut,
            connectionLost: outcome.channel.connectionLost,
          }),
        );
        if (outcome.hedged) return;
        from = stopped + 1;
        continue;
      }
      // The script did not run to its end: no marker can be trusted any more, so no guessing.
      for (let i = stopped; i < commands.length; i++) alone(i);
      return;
    }
  })()
    .catch((error: unknown) => {
      for (let i = 0; i < commands.length; i++) fail(i, error);
    })
    .finally(() => signal?.removeEventListener("abort", cancel));

  return deferred.map((d) => d.promise);
}

interface BatchOutcome {
  /** Commands whose markers both arrived, from the start of this batch. */
  completed: number;
  /** A command ran past HEDGE_MS and the ones after it were handed to `onHedge`. */
  hedged: boolean;
  /** The shell's channel result when it ended before the batch completed; null when it completed. */
  channel: CommandResult | null;
  /** Output of the command that was running when the shell ended. */
  partial: { stdout: string; stderr: string };
  runningMs: number;
}

async function runOnce(
  target: BatchTarget,
  commands: readonly BatchCommand[],
  onPart: (part: BatchPart, durationMs: number) => void,
  onHedge: (slow: number) => void,
  signal: AbortSignal | undefined,
): Promise<BatchOutcome> {
  const nonce = newNonce();
  const reader = new BatchReader(nonce);
  const opening = new AbortController();
  let shell: ReadShell | undefined;
  // Set once we end the shell ourselves (a timeout, or the slow read answered after a hedge).
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (shell) shell.stop();
    else opening.abort();
  };
  let hedged = false;
  let slowIndex = -1;
  let timer: NodeJS.Timeout | undefined;
  let hedge: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    clearTimeout(hedge);
    const index = reader.finished;
    const running = commands[index];
    if (!running) return;
    timer = setTimeout(stop, running.timeoutMs);
    if (index < commands.length - 1 && running.timeoutMs > HEDGE_MS) {
      hedge = setTimeout(() => {
        hedged = true;
        slowIndex = index;
        onHedge(index);
      }, HEDGE_MS);
    }
  };
  // Output that trails in after the batch settled belongs to no one any more.
  let over = false;
  const take = (parts: BatchPart[]) => {
    if (over) return;
    for (const part of parts) {
      onPart(part, (startedAt[part.index + 1] ?? performance.now()) - startedAt[part.index]!);
    }
    // After a hedge the commands that follow already run on their own: once the slow one has
    // answered, end the shell so the script does not run all of them a second time.
    if (hedged && reader.completed > slowIndex) {
      clearTimeout(timer);
      stop();
    }
  };
  // A cancelled batch ends its shell like a timeout; before the shell opened, nothing is sent.
  signal?.addEventListener("abort", stop, { once: true });
  const unlisten = () => signal?.removeEventListener("abort", stop);
  let connection: SshConnection;
  try {
    connection = await target.connection();
  } catch (error) {
    unlisten();
    throw error;
  }
  if (stopped) {
    // Cancelled while connecting: the reads were answered with the reason, and no shell is needed.
    unlisten();
    return { completed: 0, hedged: false, channel: null, partial: { stdout: "", stderr: "" }, runningMs: 0 };
  }
  // The first command's clock also covers opening the shell (a server that never answers).
  const startedAt: number[] = [performance.now()];
  arm();
  let channel: CommandResult | null;
  try {
    shell = await target.shells.take(connection, opening.signal);
    if (stopped) {
      // The first command's time ran out while the shell was being opened: write nothing to it.
      shell.stop();
      channel = await shell.end();
    } else {
      channel = await shell.run(
        batchScript(
          commands.map((c) => c.command),
          nonce,
        ),
        {
          onStdout: (chunk) => {
            const before = reader.finished;
            const parts = reader.onStdout(chunk);
            for (let i = before; i < reader.finished; i++) startedAt[i + 1] = performance.now();
            // After a hedge no further command of this script counts: no new clocks for them.
            if (reader.finished !== before && !stopped && !hedged) arm();
            take(parts);
          },
          onStderr: (chunk) => take(reader.onStderr(chunk)),
        },
        () => reader.completed === commands.length,
      );
    }
  } finally {
    clearTimeout(timer);
    clearTimeout(hedge);
    unlisten();
    over = true;
  }
  if (channel === null && !stopped) target.shells.give(shell);
  return {
    completed: reader.completed,
    hedged,
    channel,
    partial: reader.unfinished(),
    runningMs: performance.now() - (startedAt[reader.finished] ?? startedAt[0]!),
  };
}

function resultOf(node: string, command: string, part: BatchPart, durationMs: number): CommandResult {
  return commandResult({
    node,
    command,
    exitCode: part.exitCode,
    stdout: part.stdout,
    stderr: part.stderr,
    durationMs,
    timedOut: false,
    connectionLost: false,
  });
}
