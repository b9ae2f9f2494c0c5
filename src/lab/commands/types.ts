/** What every simulated command receives and returns. Handlers mutate `state` in place. */
import type { NodeFs } from "../fs/node-fs.js";
import type { LabNode, LabState } from "../state.js";

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The command never finishes (a hung NFS mount). Only `timeout` or the caller's timeout ends the wait. */
export const HANG = "hang" as const;
export type Hang = typeof HANG;

export interface CommandContext {
  state: LabState;
  node: LabNode;
  fs: NodeFs;
  /** argv[0] is the command name as typed. */
  argv: string[];
  /** Read (and consume) the command's standard input. */
  stdin(): string;
  /** Run another command line's argv in the same context (for `timeout`). */
  run(argv: string[]): CommandOutput | Hang;
}

export type CommandHandler = (ctx: CommandContext) => CommandOutput | Hang;

export function ok(stdout = ""): CommandOutput {
  return { stdout, stderr: "", exitCode: 0 };
}

export function fail(stderr: string, exitCode = 1, stdout = ""): CommandOutput {
  return { stdout, stderr: stderr === "" || stderr.endsWith("\n") ? stderr : `${stderr}\n`, exitCode };
}

/** A known command called with arguments the lab does not simulate: say so, never fake success. */
export function unsupported(ctx: CommandContext): CommandOutput {
  return fail(`${ctx.argv[0]}: arguments not supported in the pvefix lab: ${ctx.argv.slice(1).join(" ")}`, 2);
}

/** A PVE tool allocates a process id; config writes name their temp file after it. */
export function allocatePid(state: LabState): number {
  const pid = state.nextPid;
  state.nextPid += 1;
  return pid;
}
