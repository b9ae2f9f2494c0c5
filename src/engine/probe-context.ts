/**
 * The read-only view of the cluster handed to probes, detectors and postconditions.
 * Probes change nothing: this context only runs commands a probe declares as reads, retries them
 * on connection failures (p-retry, bounded), and records every result as evidence.
 *
 * Every probe belongs to the run that made the context: once its signal aborts (or the transport
 * closes) every read still in flight rejects at once, no retry waits, and nothing new is sent. A
 * detector that gave up on a node (a `Promise.all` that rejected on the first failure) therefore
 * cannot leave a read behind that retries, reconnects, and holds the process open.
 */

import { setMaxListeners } from "node:events";
import pRetry, { AbortError } from "p-retry";
import { EXIT } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";
import { shellQuote } from "../shell/quote.js";
import { NotInReportError, TransportError } from "../transport/errors.js";
import { type CommandResult, describeFailure, type Transport } from "../transport/types.js";
import { createReadBatcher } from "./read-batcher.js";
import type { ProbeContext } from "./runbook.js";

export const PROBE_TIMEOUT_MS = 10_000;

/** Caught by the engine and turned into a `probe-failed` refusal. */
export class ProbeError extends PvefixError {
  override readonly name = "ProbeError";
  readonly code = "PVEFIX_PROBE_FAILED";
  constructor(
    message: string,
    readonly node: string,
    readonly result?: CommandResult,
    options?: { cause?: unknown },
  ) {
    super(message, { exitCode: EXIT.failed, internal: true, cause: options?.cause });
  }
}

export interface ProbeContextOptions {
  transport: Transport;
  nodes: readonly string[];
  cluster: string;
  /** @default null */
  stateDir?: string;
  /** Called with every command result (evidence for the journal and `--verbose`). */
  onCommand?: (result: CommandResult) => void;
  /** Connection retries for read-only commands. @default 2 */
  retries?: number;
  /** @default 10000 */
  timeoutMs?: number;
  /**
   * Ends every read of this context: in flight ones reject with a ProbeError saying so (their
   * channels are stopped), later ones are never sent. The transport's `closing` signal does the
   * same, so closing the target is enough.
   */
  signal?: AbortSignal;
  /**
   * Answer a repeated (node, command) from the first run: one sweep reads one snapshot, and
   * detectors that share probes do not pay for them twice. Never for postcondition checks,
   * which must see the cluster change. @default false
   */
  memoize?: boolean;
}

export interface RecordingProbeContext extends ProbeContext {
  /** Every command result, in completion order. */
  readonly evidence: CommandResult[];
}

export function createProbeContext(options: ProbeContextOptions): RecordingProbeContext {
  const retries = options.retries ?? 2;
  const defaultTimeout = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const evidence: CommandResult[] = [];
  const unreachable = new Map<string, Error>();
  let firstUp: Promise<string> | undefined;
  const signals = [options.signal, options.transport.closing].filter(
    (s): s is AbortSignal => s !== undefined,
  );
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  // Every read in flight listens to it (a sweep of many nodes has hundreds): not a leak.
  if (signal) setMaxListeners(0, signal);
  const exec = createReadBatcher(options.transport, signal);

  const record = (result: CommandResult) => {
    evidence.push(result);
    options.onCommand?.(result);
    return result;
  };

  const memo = new Map<string, Promise<CommandResult>>();
  const run: ProbeContext["run"] = (node, command, runOptions) => {
    if (!options.memoize || runOptions?.fresh) return runOnce(node, command, runOptions);
    const key = `${node}\u0000${command}`;
    let pending = memo.get(key);
    if (!pending) {
      pending = runOnce(node, command, runOptions);
      // A failed attempt is not an answer to remember.
      pending.catch(() => memo.delete(key));
      memo.set(key, pending);
    }
    return pending;
  };

  const cancelled = (node: string, command: string) =>
    new ProbeError(`\`${command}\` on ${node} was cancelled: ${reasonOf(signal?.reason)}`, node, undefined, {
      cause: signal?.reason,
    });

  /** The read's outcome, or its cancellation as soon as the signal aborts (not when the node answers). */
  function untilCancelled<T>(node: string, command: string, work: Promise<T>): Promise<T> {
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(cancelled(node, command));
      signal.addEventListener("abort", onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  function runOnce(
    node: string,
    command: string,
    runOptions?: { timeoutMs?: number; alone?: boolean },
  ): Promise<CommandResult> {
    if (signal?.aborted) return Promise.reject(cancelled(node, command));
    // A cancelled read records nothing: its run is over and may have closed its journal.
    return untilCancelled(node, command, readWithRetries(node, command, runOptions));
  }

  async function readWithRetries(
    node: string,
    command: string,
    runOptions?: { timeoutMs?: number; alone?: boolean },
  ): Promise<CommandResult> {
    const known = unreachable.get(node);
    if (known) throw known;
    // Every attempt is evidence, the dropped ones too; recording happens outside the retry so
    // that a journal failure stops the run instead of re-running the read.
    const attempts: CommandResult[] = [];
    let result: CommandResult;
    try {
      result = await pRetry(
        async () => {
          const attempt = await exec(node, command, {
            timeoutMs: runOptions?.timeoutMs ?? defaultTimeout,
            alone: runOptions?.alone ?? false,
          });
          attempts.push(attempt);
          // A dropped connection is worth another try for a read; a timeout is an answer.
          if (attempt.connectionLost) throw new Error(`connection lost on ${node}`);
          return attempt;
        },
        {
          retries,
          minTimeout: 200,
          maxTimeout: 1_000,
          shouldRetry: ({ error }) =>
            !(error instanceof NotInReportError) && (!(error instanceof TransportError) || error.retryable),
          ...(signal ? { signal } : {}),
        },
      );
    } catch (error) {
      if (signal?.aborted) throw cancelled(node, command);
      attempts.forEach(record);
      if (error instanceof TransportError) {
        unreachable.set(node, error);
        throw error;
      }
      if (error instanceof AbortError) throw error.cause ?? error;
      if (error instanceof NotInReportError)
        throw new ProbeError(error.message, node, undefined, { cause: error });
      throw new ProbeError(`could not run \`${command}\` on ${node}: ${String(error)}`, node, undefined, {
        cause: error,
      });
    }
    if (signal?.aborted) throw cancelled(node, command);
    attempts.forEach(record);
    return result;
  }

  const readFile: ProbeContext["readFile"] = async (node, path) => {
    const result = await run(node, `cat ${shellQuote(path)}`);
    if (result.exitCode === 0) return result.stdout;
    if (/No such file or directory/.test(result.stderr)) return null;
    throw new ProbeError(
      `could not read ${path} on ${node}: ${result.stderr.trim() || describeFailure(result)}`,
      node,
      result,
    );
  };

  const reachable: ProbeContext["reachable"] = async () => {
    const settled = await Promise.allSettled(options.nodes.map((n) => run(n, "true")));
    const up: string[] = [];
    const down: string[] = [];
    settled.forEach((s, i) => {
      const node = options.nodes[i]!;
      (s.status === "fulfilled" && !s.value.failed ? up : down).push(node);
    });
    return { up, down };
  };

  const anyNode: ProbeContext["anyNode"] = () => {
    firstUp ??= (async () => {
      const errors: string[] = [];
      for (const node of options.nodes) {
        try {
          const result = await run(node, "true");
          if (!result.failed) return node;
          errors.push(`${node}: exit ${result.exitCode}`);
        } catch (error) {
          errors.push(`${node}: ${(error as Error).message}`);
        }
      }
      throw new ProbeError(`no node of cluster ${options.cluster} answered (${errors.join("; ")})`, "*");
    })();
    return firstUp;
  };

  return {
    nodes: options.nodes,
    cluster: options.cluster,
    stateDir: options.stateDir ?? null,
    run,
    readFile,
    reachable,
    anyNode,
    evidence,
  };
}

function reasonOf(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? "the run ended" : String(reason);
}
