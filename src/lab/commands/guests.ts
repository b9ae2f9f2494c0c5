/**
 * pct / qm: list, config, status, start, stop, unlock and set --lock / --delete lock (§5.2): only
 * on the owner node, `pct unlock` fails without a lock while `qm unlock` succeeds silently, neither
 * looks at running tasks, and every config write needs a writable pmxcfs.
 */
import { mainKey, mainKeys, setMainKey, splitGuestConf } from "../model/guest-conf.js";
import { type GuestType, runtimeOf } from "../model/guests.js";
import { isLoaded, load, PVE_DIE, writeConf } from "./guest-conf-io.js";
import { pctList, qmList } from "./guest-output.js";
import { startGuest, stopGuest } from "./guest-power.js";
import { pmxcfsUnavailable } from "./pve-env.js";
import {
  type CommandContext,
  type CommandHandler,
  type CommandOutput,
  fail,
  ok,
  unsupported,
} from "./types.js";

function unlock(ctx: CommandContext, type: GuestType, vmidArg: string | undefined): CommandOutput {
  const guest = load(ctx, type, vmidArg);
  if (!isLoaded(guest)) return guest;
  const lock = mainKey(guest.text, "lock");
  if (type === "lxc" && lock === null) return fail("no lock found trying to remove any lock", PVE_DIE);
  return writeConf(ctx, guest.rel, setMainKey(guest.text, "lock", null)) ?? ok();
}

function setLock(ctx: CommandContext, type: GuestType, args: string[]): CommandOutput {
  const [vmidArg, ...options] = args;
  let lock: string | null | undefined;
  let skiplock = false;
  for (let i = 0; i < options.length; i++) {
    const option = options[i];
    if (option === "--lock" && /^[a-z-]+$/.test(options[i + 1] ?? "")) lock = options[++i] ?? null;
    else if (option === "--delete" && options[i + 1] === "lock") {
      lock = null;
      i++;
    } else if (option === "--skiplock" && type === "qemu") skiplock = true;
    else return unsupported(ctx);
  }
  if (lock === undefined) return unsupported(ctx);
  const guest = load(ctx, type, vmidArg);
  if (!isLoaded(guest)) return guest;
  const current = mainKey(guest.text, "lock");
  if (current !== null && !skiplock)
    return fail(`${type === "lxc" ? "CT" : "VM"} is locked (${current})`, PVE_DIE);
  const failed = writeConf(ctx, guest.rel, setMainKey(guest.text, "lock", lock));
  if (failed) return failed;
  if (type === "lxc") return ok();
  return ok(`update VM ${guest.vmid}: ${lock === null ? "-delete lock" : `-lock ${lock}`}\n`);
}

/** `pct config` / `qm config`: main section only, keys sorted, description as one encoded line. */
function config(ctx: CommandContext, type: GuestType, vmidArg: string | undefined): CommandOutput {
  const guest = load(ctx, type, vmidArg);
  if (!isLoaded(guest)) return guest;
  const parts = splitGuestConf(guest.text);
  const keys = { ...mainKeys(guest.text) };
  if (parts.description.length > 0) keys.description = parts.description.join("%0A");
  const lines = Object.keys(keys)
    .sort()
    .map((k) => `${k}: ${keys[k]}\n`);
  return ok(lines.join(""));
}

function status(ctx: CommandContext, type: GuestType, vmidArg: string | undefined): CommandOutput {
  const guest = load(ctx, type, vmidArg);
  if (!isLoaded(guest)) return guest;
  const runtime = runtimeOf(ctx.state, guest.vmid);
  return ok(`status: ${runtime.status === "stopped" ? "stopped" : "running"}\n`);
}

function guestTool(type: GuestType): CommandHandler {
  return (ctx) => {
    const [sub, ...args] = ctx.argv.slice(1);
    const down = pmxcfsUnavailable(ctx);
    if (down) return down;
    switch (sub) {
      case "list":
        return args.length === 0
          ? ok(type === "lxc" ? pctList(ctx.state, ctx.node) : qmList(ctx.state, ctx.node))
          : unsupported(ctx);
      case "unlock":
        return args.length === 1 ? unlock(ctx, type, args[0]) : unsupported(ctx);
      case "set":
        return setLock(ctx, type, args);
      case "config":
        return args.length === 1 ? config(ctx, type, args[0]) : unsupported(ctx);
      case "status":
        return args.length === 1 ? status(ctx, type, args[0]) : unsupported(ctx);
      case "start":
        return args.length === 1 ? startGuest(ctx, type, args[0]) : unsupported(ctx);
      case "stop":
        return args.length === 1 ? stopGuest(ctx, type, args[0]) : unsupported(ctx);
      default:
        return unsupported(ctx);
    }
  };
}

export const guestCommands: Record<string, CommandHandler> = { pct: guestTool("lxc"), qm: guestTool("qemu") };
