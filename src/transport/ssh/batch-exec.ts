/**
 * A batch of read-only commands on one SSH channel (see ../batch.ts for the script and its
 * markers). Each command keeps its own result and its own timeout: the clock of a command starts
 * when the one before it finished. When a command times out or the connection drops, the
 * commands after it never started; they go out again as a new batch. When the node's shell ends
 * the script early (it is not a POSIX sh, or a command exited the shell), the rest run one by one.
 */
import { type BatchPart, BatchReader, batchScript, newNonce } from "../batch.js";
import { type BatchCommand, type CommandResult, commandResult } from "../types.js";
import type { SshConnection } from "./connection.js";
import { execOn, NotStarted } from "./exec.js";

export interface BatchTarget {
  node: string;
  connection: () => Promise<SshConnection>;
  /** The command alone on its own channel (the fallback). */
  single: (command: BatchCommand) => Promise<CommandResult>;
}

/** Extra time the channel itself gets beyond the sum of the commands' timeouts (our own timers fire first). */
const BACKSTOP_MS = 5_000;

export function execBatchOn(
  target: BatchTarget,
  commands: readonly BatchCommand[],
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

  void (async () => {
    let from = 0;
    let notStartedRetries = 1;
    while (from < commands.length) {
      const rest = commands.slice(from);
      if (rest.length === 1) {
        settle(from, target.single(rest[0]!));
        return;
      }
      let outcome: BatchOutcome;
      try {
        outcome = await runOnce(target, rest, (part, durationMs) =>
          settle(from + part.index, resultOf(target.node, rest[part.index]!.command, part, durationMs)),
        );
      } catch (error) {
        if (error instanceof NotStarted && notStartedRetries-- > 0) continue;
        for (let i = from; i < commands.length; i++) settle(i, Promise.reject(error));
        return;
      }
      const stopped = from + outcome.completed;
      if (outcome.completed === rest.length) return;
      const unfinished = commands[stopped]!;
      if (outcome.channel.timedOut || outcome.channel.connectionLost) {
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
        from = stopped + 1;
        continue;
      }
      // The script did not run to its end: no marker can be trusted any more, so no guessing.
      for (let i = stopped; i < commands.length; i++) settle(i, target.single(commands[i]!));
      return;
    }
  })().catch((error: unknown) => {
    for (let i = 0; i < commands.length; i++) settle(i, Promise.reject(error));
  });

  return deferred.map((d) => d.promise);
}

interface BatchOutcome {
  /** Commands whose markers both arrived, from the start of this batch. */
  completed: number;
  channel: CommandResult;
  /** Output of the command that was running when the channel ended. */
  partial: { stdout: string; stderr: string };
  runningMs: number;
}

async function runOnce(
  target: BatchTarget,
  commands: readonly BatchCommand[],
  onPart: (part: BatchPart, durationMs: number) => void,
): Promise<BatchOutcome> {
  const nonce = newNonce();
  const reader = new BatchReader(nonce, commands.length);
  const abort = new AbortController();
  let completed = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    const running = commands[reader.finished];
    if (running) timer = setTimeout(() => abort.abort(), running.timeoutMs);
  };
  // Output that trails in after the channel settled belongs to no one any more.
  let over = false;
  const take = (parts: BatchPart[]) => {
    if (over) return;
    for (const part of parts) {
      completed++;
      onPart(part, (startedAt[part.index + 1] ?? performance.now()) - startedAt[part.index]!);
    }
  };
  const connection = await target.connection();
  const startedAt: number[] = [performance.now()];
  arm();
  const channel = await execOn(
    connection,
    batchScript(
      commands.map((c) => c.command),
      nonce,
    ),
    {
      timeoutMs: commands.reduce((sum, c) => sum + c.timeoutMs, BACKSTOP_MS),
      signal: abort.signal,
      onStdout: (chunk) => {
        const before = reader.finished;
        const parts = reader.onStdout(chunk);
        for (let i = before; i < reader.finished; i++) startedAt[i + 1] = performance.now();
        if (reader.finished !== before && !abort.signal.aborted) arm();
        take(parts);
      },
      onStderr: (chunk) => take(reader.onStderr(chunk)),
    },
  );
  clearTimeout(timer);
  over = true;
  return {
    completed,
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
