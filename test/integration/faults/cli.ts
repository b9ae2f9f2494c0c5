/**
 * The built `pvefix` binary as a child process, for the rows where the exit code and signals
 * matter. It runs `bin/pvefix.js`, which loads `dist/`: `npm test` builds first.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TEST_CACHE_HOME } from "../cli/pvefix.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = `${ROOT}bin/pvefix.js`;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  done: Promise<CliResult>;
}

export function assertBuilt(): void {
  if (!existsSync(`${ROOT}dist/src/cli/main.js`)) {
    throw new Error("dist/ is missing: run `npm run build` before the fault tests that spawn the CLI");
  }
}

/** Start `pvefix <args>` without a terminal (no prompts, no spinners, no colour). */
export function startCli(args: string[], options: { timeoutMs?: number } = {}): CliProcess {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", CI: "1", PVEFIX_STATE_DIR: "", XDG_CACHE_HOME: TEST_CACHE_HOME },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  // A wedged CLI must fail its test, not hang the suite.
  const guard = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 45_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - started });
    });
  });
  return { child, stderr: () => stderr, done };
}

export function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}
