/**
 * The local transport: pvefix running on the Proxmox node itself. Commands go through
 * `/bin/sh -c` in their own process group, so a timeout, a cancel or `close()` can kill
 * everything the command started.
 */
import { spawn } from "node:child_process";
import { setMaxListeners } from "node:events";
import { constants } from "node:os";
import { TransportError, transportClosed } from "./errors.js";
import {
  type CommandResult,
  commandResult,
  DEFAULT_TIMEOUT_MS,
  type ExecOptions,
  type Transport,
} from "./types.js";

export interface LocalTransportOptions {
  /** The node this process runs on; the only node this transport serves. */
  nodeName: string;
}

/** How long to wait for the pipes to close after killing a timed-out command before giving up on them. */
const KILL_GRACE_MS = 2_000;

/** Shell convention for a process killed by a signal: 128 + signal number. */
export function signalExitCode(signal: string): number | null {
  const number = (constants.signals as Record<string, number | undefined>)[
    signal.startsWith("SIG") ? signal : `SIG${signal}`
  ];
  return number === undefined ? null : 128 + number;
}

export class LocalTransport implements Transport {
  readonly kind = "local" as const;
  readonly nodeName: string;
  private readonly closer = new AbortController();

  constructor(options: LocalTransportOptions) {
    this.nodeName = options.nodeName;
    // Every running command listens to it: not a leak.
    setMaxListeners(0, this.closer.signal);
  }

  /** Aborted when `close()` is called (see Transport.closing). */
  get closing(): AbortSignal {
    return this.closer.signal;
  }

  exec(node: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    if (this.closer.signal.aborted) return Promise.reject(transportClosed(node));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (node !== this.nodeName) {
      return Promise.reject(
        new TransportError(
          "PVEFIX_UNKNOWN_NODE",
          node,
          `The local transport runs commands only on ${this.nodeName} (this machine), not on ${node}. Use an SSH inventory (-i FILE) to reach other nodes.`,
        ),
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", command], { detached: true, stdio: ["pipe", "pipe", "pipe"] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      let settled = false;
      let grace: NodeJS.Timeout | undefined;
      let timer: NodeJS.Timeout | undefined;
      // Cancelled, or the transport closed: the command is killed and has no result to report.
      const cancel = () => {
        if (settled) return;
        settled = true;
        unlisten();
        clearTimeout(timer);
        killGroup(child.pid);
        // A grandchild that escaped the group must not keep the pipes (and this process) open.
        child.stdout.destroy();
        child.stderr.destroy();
        reject(this.closer.signal.aborted ? transportClosed(node) : options.signal?.reason);
      };
      const unlisten = () => {
        options.signal?.removeEventListener("abort", cancel);
        this.closer.signal.removeEventListener("abort", cancel);
      };
      options.signal?.addEventListener("abort", cancel, { once: true });
      this.closer.signal.addEventListener("abort", cancel, { once: true });
      const finish = (exitCode: number | null) => {
        if (settled) return;
        settled = true;
        unlisten();
        clearTimeout(timer);
        clearTimeout(grace);
        resolve(
          commandResult({
            node,
            command,
            exitCode: timedOut ? null : exitCode,
            stdout: Buffer.concat(stdout).toString("utf8"),
            stderr: Buffer.concat(stderr).toString("utf8"),
            durationMs: performance.now() - started,
            timedOut,
            connectionLost: false,
          }),
        );
      };
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
        // A grandchild that escaped the group could keep the pipes open: do not wait for it forever.
        grace = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(null);
        }, KILL_GRACE_MS);
      }, timeoutMs);
      child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      // A command that never reads its stdin closes the pipe early: EPIPE is expected, not a failure.
      child.stdin.on("error", () => {});
      child.on("error", (error) => {
        stderr.push(Buffer.from(`pvefix: cannot start /bin/sh: ${error.message}\n`));
        finish(127);
      });
      child.on("close", (code, signal) => finish(code ?? (signal ? signalExitCode(signal) : null)));
      if (options.stdin !== undefined) child.stdin.write(options.stdin);
      child.stdin.end();
    });
  }

  /** Kills every command still running; later execs reject with PVEFIX_TRANSPORT_CLOSED. */
  async close(): Promise<void> {
    this.closer.abort(transportClosed());
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is already gone.
  }
}
