/**
 * What every PVE CLI tool needs before it does anything: a running pmxcfs (it reads user.cfg
 * through IPC). A deadlocked pmxcfs answers nothing, so the tool blocks.
 */
import { pmxcfsMounted } from "../model/pmxcfs.js";
import { type CommandContext, type CommandOutput, fail, HANG, type Hang } from "./types.js";

export function pmxcfsUnavailable(ctx: CommandContext): CommandOutput | Hang | null {
  if (ctx.node.pmxcfsHung && pmxcfsMounted(ctx.node)) return HANG;
  if (pmxcfsMounted(ctx.node)) return null;
  return fail(
    "ipcc_send_rec[1] failed: Connection refused\n" +
      "ipcc_send_rec[2] failed: Connection refused\n" +
      "ipcc_send_rec[3] failed: Connection refused\n" +
      "Unable to load access control list: Connection refused",
    111,
  );
}
