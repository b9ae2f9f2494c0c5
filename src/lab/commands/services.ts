/** systemctl (is-active, start, stop, restart) and a manual `pmxcfs -l`. */
import { PMXCFS_PIDFILE, spawn } from "../model/processes.js";
import { startUnit, stopUnit, unitKnown, unitName, unitState } from "../model/services.js";
import { type CommandHandler, type CommandOutput, fail, ok, unsupported } from "./types.js";

const ACTIVE_LIKE = new Set(["active", "reloading", "refreshing"]);

const systemctl: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1).filter((a) => a !== "--quiet" && a !== "-q");
  const quiet = args.length !== ctx.argv.length - 1;
  const [verb, ...rawUnits] = args;
  const units = rawUnits.map(unitName);
  if (!verb || units.length === 0) return unsupported(ctx);
  if (verb === "is-active") {
    const states = units.map((u) => (unitKnown(ctx.node, u) ? unitState(ctx.node, u) : "inactive"));
    const anyActive = states.some((s) => ACTIVE_LIKE.has(s));
    const allMissing = units.every((u) => !unitKnown(ctx.node, u));
    return {
      stdout: quiet ? "" : states.map((s) => `${s}\n`).join(""),
      stderr: "",
      exitCode: anyActive ? 0 : allMissing ? 4 : 3,
    };
  }
  if (verb !== "start" && verb !== "stop" && verb !== "restart") {
    return fail(`Unknown command verb '${verb}'.`, 1);
  }
  const result: CommandOutput = { stdout: "", stderr: "", exitCode: 0 };
  for (const unit of units) {
    if (!unitKnown(ctx.node, unit)) {
      const how = verb === "stop" ? "not loaded" : "not found";
      return fail(`${result.stderr}Failed to ${verb} ${unit}.service: Unit ${unit}.service ${how}.`, 5);
    }
    if (verb !== "start") stopUnit(ctx.state, ctx.node, unit);
    if (verb !== "stop" && !startUnit(ctx.state, ctx.node, unit)) {
      result.stderr +=
        `Job for ${unit}.service failed because the control process exited with error code.\n` +
        `See "systemctl status ${unit}.service" and "journalctl -xeu ${unit}.service" for details.\n`;
      result.exitCode = 1;
    }
  }
  return result;
};

/** `pmxcfs -l`: forced local mode, only possible while pve-cluster (the normal pmxcfs) is stopped. */
const pmxcfs: CommandHandler = (ctx) => {
  if (ctx.argv.length !== 2 || ctx.argv[1] !== "-l") return unsupported(ctx);
  if (ctx.node.services["pve-cluster"] === "active" || ctx.node.pmxcfsLocalMode) {
    return fail(
      "[main] notice: unable to acquire pmxcfs lock - trying again\n[main] crit: unable to acquire pmxcfs lock: Resource temporarily unavailable",
      255,
    );
  }
  const proc = spawn(ctx.state, ctx.node, "pmxcfs", {
    args: "/usr/bin/pmxcfs -l",
    rss: 48_116,
    cpuPermille: 1,
  });
  ctx.node.pmxcfsLocalMode = true;
  ctx.node.files[PMXCFS_PIDFILE] = `${proc.pid}\n`;
  return ok();
};

export const serviceCommands: Record<string, CommandHandler> = { systemctl, pmxcfs };
