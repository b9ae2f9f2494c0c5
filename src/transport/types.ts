/**
 * Transport: how a command reaches a node. One interface, three implementations
 * (`ssh`, `local`, `lab`). A transport runs shell command lines and never interprets them;
 * it must never retry a command by itself (retries are the prober's decision, reads only).
 */
import { z } from "zod";

/** The honest result of one command: the same shape whether it succeeded or not. */
export const CommandResult = z.object({
  node: z.string(),
  command: z.string(),
  /** `null` when the command did not finish (timeout, lost connection). */
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number(),
  timedOut: z.boolean(),
  /** The connection broke while the command ran: its effect on the node is unknown. */
  connectionLost: z.boolean(),
  /** Not exit 0, timed out, or the connection was lost. */
  failed: z.boolean(),
});
export type CommandResult = z.infer<typeof CommandResult>;

export interface ExecOptions {
  /** Close the channel and report `timedOut` after this long. @default 30000 */
  timeoutMs?: number;
  /** Bytes written to the command's standard input, then EOF. */
  stdin?: string | Buffer;
  /**
   * Cancels the command: one not sent yet is never sent, one running is stopped as its timeout
   * would stop it, and the promise rejects with the signal's reason (a cancelled command has no
   * result to report).
   */
  signal?: AbortSignal;
}

/** Options that apply to a whole batch: see Transport.execBatch. */
export interface BatchOptions {
  /** Cancels every command of the batch that has not answered, as ExecOptions.signal does. */
  signal?: AbortSignal;
}

/** One command of a batch: see Transport.execBatch. */
export interface BatchCommand {
  command: string;
  /** This command's own timeout, counted from when the command before it finished. */
  timeoutMs: number;
}

/** `report`: answers from a pvereport, offline (src/report). `node`: on a PVE node, itself locally and its peers over SSH. */
export type TransportKind = "ssh" | "local" | "lab" | "report" | "node";

export interface Transport {
  readonly kind: TransportKind;
  /** Run one command line on `node` through `sh -c` semantics. Never throws for command failures. */
  exec(node: string, command: string, options?: ExecOptions): Promise<CommandResult>;
  /**
   * Run read-only commands on `node`, sharing round trips where the transport can (SSH: one
   * script to a shell kept open on the node, so later batches need no new channel). One promise
   * per command, settling as the node answers, each with what `exec` would have given for that
   * command alone. Only for reads: a command may run again when the batch could not finish.
   */
  execBatch?(
    node: string,
    commands: readonly BatchCommand[],
    options?: BatchOptions,
  ): Promise<CommandResult>[];
  /** Open connections ahead of time (bounded parallelism); failures surface as TransportError. */
  connect?(nodes: readonly string[]): Promise<void>;
  /**
   * Aborted as soon as `close()` is called: whoever hands out work on this transport (a probe
   * context) stops with it instead of waiting for answers that will not come.
   */
  readonly closing?: AbortSignal;
  /**
   * The end of this transport: cancels everything still in flight and frees every connection;
   * afterwards every exec rejects with PVEFIX_TRANSPORT_CLOSED and nothing connects again.
   */
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Build a result object consistently, deriving `failed`. */
export function commandResult(fields: Omit<CommandResult, "failed">): CommandResult {
  return {
    ...fields,
    failed: fields.timedOut || fields.connectionLost || fields.exitCode !== 0,
  };
}

/** Human one-liner in the execa style: reason, exact command, node. */
export function describeFailure(result: CommandResult): string {
  const where = `(on ${result.node})`;
  if (result.timedOut)
    return `Command timed out after ${Math.round(result.durationMs)} ms: ${result.command} ${where}`;
  if (result.connectionLost) return `Connection lost while running: ${result.command} ${where}`;
  return `Command failed with exit code ${result.exitCode}: ${result.command} ${where}`;
}
