/** The lab as a Transport: same results as SSH would give, including timeouts and lost connections. */
import { TransportError, transportClosed } from "../transport/errors.js";
import {
  type CommandResult,
  commandResult,
  DEFAULT_TIMEOUT_MS,
  type ExecOptions,
  type Transport,
} from "../transport/types.js";
import { labExec } from "./exec.js";
import { loadLab } from "./store.js";

export interface LabTransportOptions {
  stateDir: string;
}

export class LabTransport implements Transport {
  readonly kind = "lab" as const;
  private readonly stateDir: string;
  /** Pending "hung" commands: close() ends their wait early instead of leaving promises dangling. */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private readonly closer = new AbortController();

  constructor(options: LabTransportOptions) {
    this.stateDir = options.stateDir;
  }

  /** Aborted when `close()` is called (see Transport.closing). */
  get closing(): AbortSignal {
    return this.closer.signal;
  }

  async exec(node: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    // Like SSH: a closed transport sends nothing more, a cancelled command reports no result.
    if (this.closer.signal.aborted) throw transportClosed(node);
    options.signal?.throwIfAborted();
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const outcome = await labExec({
      stateDir: this.stateDir,
      node,
      command,
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    });
    const base = { node, command, stdout: "", stderr: "", timedOut: false, connectionLost: false };
    if (outcome === "hang") {
      // The command never answers: like SSH, the caller gets control back only through its timeout.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waits.delete(timer);
          options.signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.waits.set(timer, done);
        options.signal?.addEventListener("abort", done, { once: true });
      });
      options.signal?.throwIfAborted();
      return commandResult({
        ...base,
        exitCode: null,
        timedOut: true,
        durationMs: performance.now() - started,
      });
    }
    if (outcome === "drop") {
      return commandResult({
        ...base,
        exitCode: null,
        connectionLost: true,
        durationMs: performance.now() - started,
      });
    }
    return commandResult({ ...base, ...outcome, durationMs: performance.now() - started });
  }

  async connect(nodes: readonly string[]): Promise<void> {
    const state = await loadLab(this.stateDir);
    for (const name of nodes) {
      const node = state.nodes.find((n) => n.name === name);
      if (!node) throw new TransportError("PVEFIX_UNKNOWN_NODE", name, `The lab has no node '${name}'`);
      if (!node.up)
        throw new TransportError(
          "PVEFIX_CONNECT_FAILED",
          name,
          `Cannot connect to lab node ${name}: the node is down`,
        );
    }
  }

  /** Ends the wait of every hung command (they report timedOut); later execs reject. */
  async close(): Promise<void> {
    this.closer.abort(transportClosed());
    for (const done of [...this.waits.values()]) done();
  }
}
