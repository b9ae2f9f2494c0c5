/** Small builtins and utilities: true, false, hostname, sleep, timeout, kill, date. */
import { strftime } from "../model/clock.js";
import { killProcess } from "../model/kill.js";
import { findProc } from "../model/processes.js";
import { type CommandHandler, fail, HANG, ok, unsupported } from "./types.js";

const SIGNALS = new Set(["HUP", "INT", "KILL", "TERM", "USR1", "USR2", "0", "1", "2", "9", "15"]);

const sleep: CommandHandler = (ctx) => {
  const seconds = Number.parseFloat(ctx.argv[1] ?? "");
  if (!Number.isFinite(seconds)) return fail(`sleep: invalid time interval '${ctx.argv[1] ?? ""}'`);
  ctx.state.clock += Math.ceil(seconds); // simulated: returns at once, but time moves on
  return ok();
};

const timeout: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  let signal = "TERM";
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "-s") signal = args[++i] ?? "";
    else if (arg.startsWith("--signal=")) signal = arg.slice(9);
    else if (arg === "-k") i++;
    else if (arg.startsWith("--kill-after=") || arg === "--foreground" || arg === "--preserve-status")
      continue;
    else if (arg.startsWith("-")) return unsupported(ctx);
    else break;
  }
  const duration = Number.parseFloat((args[i] ?? "").replace(/[smhd]$/, ""));
  const command = args.slice(i + 1);
  if (!Number.isFinite(duration) || command.length === 0) {
    return fail("timeout: missing operand\nTry 'timeout --help' for more information.", 125);
  }
  const result = ctx.run(command);
  if (result !== HANG) return result;
  if (duration === 0) return HANG;
  return { stdout: "", stderr: "", exitCode: /^(KILL|SIGKILL|9)$/.test(signal) ? 137 : 124 };
};

const kill: CommandHandler = (ctx) => {
  let args = ctx.argv.slice(1);
  let signal = "TERM";
  if (args[0] === "-s") {
    signal = args[1] ?? "";
    args = args.slice(2);
  } else if (args[0]?.startsWith("-")) {
    signal = args[0].slice(1).replace(/^SIG/, "");
    args = args.slice(1);
  }
  if (!SIGNALS.has(signal)) return fail(`sh: 1: kill: invalid signal number or name: ${signal}`, 2);
  if (args.length === 0)
    return fail(
      "sh: 1: kill: Usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or\nkill -l [exitstatus]",
      2,
    );
  let stderr = "";
  for (const arg of args) {
    const pid = Number(arg);
    if (!Number.isInteger(pid) || !findProc(ctx.node, pid)) {
      stderr += "sh: 1: kill: No such process\n";
      continue;
    }
    if (signal !== "0") killProcess(ctx.state, ctx.node, pid);
  }
  return { stdout: "", stderr, exitCode: stderr === "" ? 0 : 1 };
};

const date: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1).filter((a) => a !== "-u");
  if (args.length === 0)
    return ok(`${strftime(ctx.state.clock, "%a %b %d %T UTC %Y").replace(/ 0(\d) /, "  $1 ")}\n`);
  // RFC 5322, as pvereport (pve-manager >= 8) prints its time.
  if (args.length === 1 && args[0] === "-R")
    return ok(`${strftime(ctx.state.clock, "%a, %d %b %Y %T +0000")}\n`);
  if (args.length === 1 && args[0]?.startsWith("+"))
    return ok(`${strftime(ctx.state.clock, args[0].slice(1))}\n`);
  return unsupported(ctx);
};

export const miscCommands: Record<string, CommandHandler> = {
  true: () => ok(),
  false: () => ({ stdout: "", stderr: "", exitCode: 1 }),
  hostname: (ctx) => ok(`${ctx.node.name}\n`),
  sleep,
  timeout,
  kill,
  date,
};
