/**
 * Probes of one node that become ready at the same moment share one round trip: reads issued
 * in the same turn of the event loop are handed to the transport's `execBatch` together (one
 * script to a shell on the node instead of a channel each). Every read still gets its own result,
 * timeout and evidence. A read marked `alone` (a slow tool) and every read on a transport
 * without `execBatch` runs on its own channel, beside the batch. The signal (the probe context's)
 * goes with every read and batch: once it aborts, the transport stops what still runs and nothing
 * queued here is sent.
 */
import type { BatchCommand, CommandResult, Transport } from "../transport/types.js";

interface Waiting extends BatchCommand {
  resolve: (result: CommandResult) => void;
  reject: (error: unknown) => void;
}

export type ReadExec = (
  node: string,
  command: string,
  options: { timeoutMs: number; alone: boolean },
) => Promise<CommandResult>;

export function createReadBatcher(transport: Transport, signal?: AbortSignal): ReadExec {
  const withSignal = signal ? { signal } : {};
  const single: ReadExec = (node, command, { timeoutMs }) =>
    transport.exec(node, command, { timeoutMs, ...withSignal });
  if (!transport.execBatch) return single;
  const execBatch = transport.execBatch.bind(transport);
  const queued = new Map<string, Waiting[]>();

  const flush = (node: string) => {
    const batch = queued.get(node) ?? [];
    queued.delete(node);
    if (signal?.aborted) {
      for (const waiting of batch) waiting.reject(signal.reason);
      return;
    }
    const promises = execBatch(
      node,
      batch.map(({ command, timeoutMs }) => ({ command, timeoutMs })),
      withSignal,
    );
    batch.forEach((waiting, i) => {
      promises[i]!.then(waiting.resolve, waiting.reject);
    });
  };

  return (node, command, options) => {
    if (options.alone) return single(node, command, options);
    const { timeoutMs } = options;
    return new Promise<CommandResult>((resolve, reject) => {
      let batch = queued.get(node);
      if (!batch) {
        batch = [];
        queued.set(node, batch);
        // After the current turn's callbacks and microtasks: every probe that is ready now joins.
        setImmediate(() => flush(node));
      }
      batch.push({ command, timeoutMs, resolve, reject });
    });
  };
}
