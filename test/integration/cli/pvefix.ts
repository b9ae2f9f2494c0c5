/**
 * Drives the BUILT CLI (`node bin/pvefix.js`, built by `npm test` before vitest) as a user would:
 * a child process with its own state directory, no colors, exit code and both streams captured.
 * Background runs (a lab server, a run held up by a fault) and pseudo-terminal sessions (util-linux
 * `script`, so inquirer sees a TTY without node-pty) come with a way to wait for text first.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { commandLine } from "../../../src/shell/quote.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = path.join(ROOT, "bin/pvefix.js");
/** The children's code cache (src/cli/code-cache.ts): exercised, but not in the user's home. */
export const TEST_CACHE_HOME = path.join(os.tmpdir(), "pvefix-test-cache");

export interface PvefixResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PvefixOptions {
  stdin?: string;
  /** Added to the environment; `PVEFIX_STATE_DIR` says which lab and journal the CLI uses. */
  env?: Record<string, string>;
  cwd?: string;
}

/** The environment of every child: ours minus whatever would make output depend on the machine. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: TEST_CACHE_HOME, ...extra };
  delete env.FORCE_COLOR;
  delete env.CI;
  return env;
}

/** A running pvefix: its output so far, a wait for some text, and its end. */
export interface Started {
  child: ChildProcess;
  output(): string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<PvefixResult>;
}

/** Children still running when their test file ends are killed, so a failed wait leaves nothing behind. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) killTree(child.pid);
});

/** The pids of a process and all its descendants, parents first. */
export function processTree(root: number): number[] {
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    try {
      const children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" });
      queue.push(...children.split("\n").filter(Boolean).map(Number));
    } catch {
      // pgrep exits 1 when a process has no children.
    }
  }
  return tree;
}

/**
 * SIGKILL a process and everything under it. `script` puts its command in a new session, so
 * killing `script` alone would leave a pvefix run holding the cluster lock for the next test.
 */
function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  for (const p of processTree(pid)) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** The pvefix process in a tree (`node bin/pvefix.js …`), never the shell or `script` around it. */
export function pvefixPidUnder(root: number): number {
  for (const pid of processTree(root)) {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv[0] === process.execPath && argv[1] === BIN) return pid;
    } catch {
      // Ended while we looked.
    }
  }
  throw new Error(`no pvefix process under ${root}`);
}

function track(child: ChildProcess): Started {
  running.add(child);
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of listeners) l();
  };
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    notify();
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    notify();
  });
  const exited = new Promise<PvefixResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running.delete(child);
      notify();
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
  const output = () => stdout + stderr;
  const waitFor = (text: string | RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const seen = () => (typeof text === "string" ? output().includes(text) : text.test(output()));
      const done = (error?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off("close", check);
        error ? reject(error) : resolve();
      };
      const check = () => {
        if (seen()) done();
        else if (child.exitCode !== null || child.signalCode !== null)
          done(new Error(`pvefix ended before printing ${String(text)}:\n${output()}`));
      };
      const timer = setTimeout(() => {
        killTree(child.pid);
        done(new Error(`no ${String(text)} after ${timeoutMs} ms:\n${output()}`));
      }, timeoutMs);
      listeners.add(check);
      child.on("close", check);
      check();
    });
  return { child, output, waitFor, exited };
}

/** Start pvefix and return at once (for servers and runs that other commands race against). */
export function startPvefix(args: readonly string[], options: PvefixOptions = {}): Started {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.stdin ?? "");
  return track(child);
}

/** Run pvefix to the end. Never throws on a non-zero exit: the code is what tests assert. */
export function pvefix(args: readonly string[], options: PvefixOptions = {}): Promise<PvefixResult> {
  return startPvefix(args, options).exited;
}

/**
 * pvefix on a pseudo-terminal: `script` gives the command a TTY on stdin, stdout and stderr while
 * we keep the other end of pipes, so a test can wait for a prompt and then type the answer.
 * The pty has no size (0 columns) because our stdin is not a terminal. `script` runs the line with
 * `$SHELL -c`; it is pinned to /bin/sh (dash, as on CI) so a test behaves the same in every login.
 */
export function startInPty(
  line: string,
  options: PvefixOptions = {},
): Started & { type(text: string): void } {
  const child = spawn("script", ["-qfec", line, "/dev/null"], {
    cwd: options.cwd ?? ROOT,
    env: childEnv({ ...options.env, SHELL: "/bin/sh" }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const started = track(child);
  return { ...started, type: (text) => child.stdin?.write(text) };
}

/**
 * The shell line that runs the built CLI with these arguments (for `script -c`). `exec`: dash does
 * not replace itself with a quoted command, and a signal meant for pvefix must not reach the shell.
 */
export function pvefixLine(args: readonly string[]): string {
  return `exec ${commandLine([process.execPath, BIN, ...args])}`;
}

/** What a terminal would show as text: no escape sequences, no carriage returns. */
export function plainText(output: string): string {
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
}

/**
 * A fresh state directory for one test file (its own lab, journal and locks), removed after the
 * file, with the CLI bound to it.
 */
export function cliSession(): {
  stateDir: string;
  pvefix(args: readonly string[], options?: PvefixOptions): Promise<PvefixResult>;
  start(args: readonly string[], options?: PvefixOptions): Started;
  /** A shell line (see `pvefixLine`) on a pseudo-terminal, with this state directory. */
  inPty(line: string): ReturnType<typeof startInPty>;
  /** `pvefix lab exec NODE -- COMMAND…`: what the node would answer over SSH. */
  labExec(node: string, ...command: string[]): Promise<PvefixResult>;
} {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-cli-"));
  const env = { PVEFIX_STATE_DIR: stateDir };
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true, maxRetries: 3 }));
  const withEnv = (options: PvefixOptions = {}) => ({ ...options, env: { ...env, ...options.env } });
  return {
    stateDir,
    inPty: (line) => startInPty(line, withEnv()),
    pvefix: (args, options) => pvefix(args, withEnv(options)),
    start: (args, options) => startPvefix(args, withEnv(options)),
    labExec: (node, ...command) => pvefix(["lab", "exec", node, "--", ...command], withEnv()),
  };
}

/** The one JSON document a `-o json` command prints on stdout. */
export function json<T = Record<string, unknown>>(result: PvefixResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}
