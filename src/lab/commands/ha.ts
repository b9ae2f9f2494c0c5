/**
 * `ha-manager status` in the pre-5.1.3 format (§6.2: `quorum …`, `master …`, `lrm …`, `service …`,
 * times as Perl's scalar localtime) and `ha-manager set <sid> --state <s>`, which rewrites
 * resources.cfg under the HA domain lock (no quorum: `cfs-lock 'domain-ha' error: no quorum!`).
 */
import { ctime } from "../model/clock.js";
import { haConfigured, haResources, haView, setResourceState } from "../model/ha.js";
import { guestConfigPaths, pmxcfsQuorate } from "../model/pmxcfs.js";
import { pmxcfsUnavailable } from "./pve-env.js";
import {
  type CommandContext,
  type CommandHandler,
  type CommandOutput,
  fail,
  ok,
  unsupported,
} from "./types.js";

const PVE_DIE = 255;
const STATES = ["started", "stopped", "enabled", "disabled", "ignored"];

function status(ctx: CommandContext): CommandOutput {
  const view = haView(ctx.state, ctx.node);
  let out = view.quorate ? "quorum OK\n" : `quorum No quorum on node '${ctx.node.name}'!\n`;
  if (!haConfigured(ctx.state)) return ok(out);
  const when = (ago: number) => ctime(ctx.state.clock - ago);
  if (view.master) out += `master ${view.master.node} (${view.master.state}, ${when(view.master.ago)})\n`;
  for (const lrm of view.lrms) out += `lrm ${lrm.node} (${lrm.state}, ${when(lrm.ago)})\n`;
  for (const s of view.services) out += `service ${s.sid} (${s.node}, ${s.state})\n`;
  return ok(out);
}

/** `vm:100`, `ct:101`, or a bare VMID resolved through .vmlist. */
function parseSid(ctx: CommandContext, text: string): string | CommandOutput {
  if (/^(vm|ct):\d+$/.test(text)) return text;
  if (/^\d+$/.test(text)) {
    const guest = guestConfigPaths(ctx.state).find((g) => g.vmid === Number(text));
    if (!guest) return fail(`unable to detect SID from VMID - VM/CT ${text} does not exist`, PVE_DIE);
    return `${guest.type === "lxc" ? "ct" : "vm"}:${text}`;
  }
  return fail(`400 Parameter verification failed.\nsid: unable to parse service id '${text}'`, PVE_DIE);
}

function set(ctx: CommandContext, args: string[]): CommandOutput {
  const [sidText, option, value, ...rest] = args;
  if (sidText === undefined || option !== "--state" || value === undefined || rest.length > 0) {
    return unsupported(ctx);
  }
  if (!STATES.includes(value)) {
    return fail(
      `400 Parameter verification failed.\nstate: value '${value}' does not have a value in the enumeration '${STATES.join(", ")}'\nha-manager set <sid> [OPTIONS]`,
      PVE_DIE,
    );
  }
  const sid = parseSid(ctx, sidText);
  if (typeof sid !== "string") return sid;
  if (!pmxcfsQuorate(ctx.state, ctx.node)) return fail("cfs-lock 'domain-ha' error: no quorum!", PVE_DIE);
  if (!haResources(ctx.state).some((r) => r.sid === sid)) return fail(`no such resource '${sid}'`, PVE_DIE);
  setResourceState(ctx.state, sid, value);
  return ok();
}

const haManager: CommandHandler = (ctx) => {
  const [sub, ...args] = ctx.argv.slice(1);
  const down = pmxcfsUnavailable(ctx);
  if (down) return down;
  if (sub === "status" && args.length === 0) return status(ctx);
  if (sub === "set") return set(ctx, args);
  return unsupported(ctx);
};

export const haCommands: Record<string, CommandHandler> = { "ha-manager": haManager };
