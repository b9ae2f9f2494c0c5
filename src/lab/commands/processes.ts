/**
 * `ps -C <name> -o <fields>` / `ps -p <pid> -o <fields>` (procps layout, exit 1 when nothing is
 * selected) and `pkill [-SIG] -F <pidfile>`. A looping zerotier-one grows with every sample.
 */
import { FsError } from "../fs/errors.js";
import { killProcess } from "../model/kill.js";
import { formatLine, parseFormat } from "../model/ps-format.js";
import type { LabProc } from "../state.js";
import { type CommandContext, type CommandHandler, fail, ok, unsupported } from "./types.js";

/** KiB a looping zerotier-one adds between two samples. */
const LOOP_GROWTH = 12_288;

function select(ctx: CommandContext, args: string[]): { procs: LabProc[]; formats: string[] } | null {
  const names: string[] = [];
  const pids: number[] = [];
  const formats: string[] = [];
  let all = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const value = (flag: string) => (arg.length > flag.length ? arg.slice(flag.length) : (args[++i] ?? ""));
    if (arg.startsWith("-C")) names.push(...value("-C").split(","));
    else if (arg.startsWith("-p")) pids.push(...value("-p").split(",").map(Number));
    else if (arg.startsWith("-o")) formats.push(value("-o"));
    else if (arg === "-e" || arg === "-A") all = true;
    else return null;
  }
  if (formats.length === 0) return null;
  const procs = ctx.node.procs
    .filter((p) => all || names.includes(p.comm) || pids.includes(p.pid))
    .sort((a, b) => a.pid - b.pid);
  return { procs, formats };
}

const ps: CommandHandler = (ctx) => {
  const selection = select(ctx, ctx.argv.slice(1));
  if (!selection) return unsupported(ctx);
  const format = parseFormat(selection.formats);
  if ("unknown" in format) {
    return fail(
      `error: unknown user-defined format specifier "${format.unknown}"\n\nUsage:\n ps [options]`,
      1,
    );
  }
  for (const proc of selection.procs) {
    if (proc.unit === "zerotier-one" && ctx.node.zerotier?.looping) proc.rss += LOOP_GROWTH;
  }
  const lines = selection.procs.map((p) => formatLine(format.columns, p));
  if (format.header) lines.unshift(formatLine(format.columns, null));
  const stdout = lines.map((l) => `${l}\n`).join("");
  return { stdout, stderr: "", exitCode: selection.procs.length === 0 ? 1 : 0 };
};

const PIDFILE_INVALID = "pkill: pidfile not valid\nTry `pkill --help' for more information.";

const pkill: CommandHandler = (ctx) => {
  let args = ctx.argv.slice(1);
  if (/^-(TERM|KILL|HUP|INT|9|15|1|2)$/.test(args[0] ?? "")) args = args.slice(1);
  if (args.length !== 2 || args[0] !== "-F") return unsupported(ctx);
  let text: string;
  try {
    text = ctx.fs.read(args[1] ?? "");
  } catch (error) {
    if (error instanceof FsError) return fail(PIDFILE_INVALID, 1);
    throw error;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return fail(PIDFILE_INVALID, 1);
  if (!ctx.node.procs.some((p) => p.pid === pid)) return { stdout: "", stderr: "", exitCode: 1 };
  killProcess(ctx.state, ctx.node, pid);
  return ok();
};

export const processCommands: Record<string, CommandHandler> = { ps, pkill };
