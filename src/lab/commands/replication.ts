/**
 * `pvesr status` (§7.2): `%-10s %-10s %-20s %20s %20s %10s %10s %s`, only jobs of guests on this
 * node, Target `local/<node>`, times as `YYYY-MM-DD_HH:MM:SS`, NextSync `pending` when due, and
 * State `OK` or the full (possibly multi-line) error text.
 */
import { strftime } from "../model/clock.js";
import { pmxcfsQuorate } from "../model/pmxcfs.js";
import { adoptLocalJobs, lastRun, localJobs, nextRun } from "../model/replication.js";
import { pmxcfsUnavailable } from "./pve-env.js";
import { type CommandContext, type CommandHandler, ok, unsupported } from "./types.js";

const row = (c: string[]) =>
  `${(c[0] ?? "").padEnd(10)} ${(c[1] ?? "").padEnd(10)} ${(c[2] ?? "").padEnd(20)} ` +
  `${(c[3] ?? "").padStart(20)} ${(c[4] ?? "").padStart(20)} ${(c[5] ?? "").padStart(10)} ` +
  `${(c[6] ?? "").padStart(10)} ${c[7] ?? ""}\n`;

const stamp = (epoch: number) => strftime(epoch, "%Y-%m-%d_%H:%M:%S");

function status(ctx: CommandContext, guest: number | null): string {
  let out = row(["JobID", "Enabled", "Target", "LastSync", "NextSync", "Duration", "FailCount", "State"]);
  for (const job of localJobs(ctx.state, ctx.node.name)) {
    if (guest !== null && job.vmid !== guest) continue;
    const run = lastRun(ctx.state, job.id);
    let next = "-";
    if (job.enabled) {
      const due = run.lastSync === null ? ctx.state.clock : nextRun(job.schedule, run.lastSync);
      next = due > ctx.state.clock ? stamp(due) : "pending";
    }
    out += row([
      job.id,
      job.enabled ? "Yes" : "No",
      `local/${job.target}`,
      run.lastSync === null ? "-" : stamp(run.lastSync),
      next,
      run.duration === null ? "-" : String(run.duration),
      String(run.failCount),
      run.error ?? "OK",
    ]);
  }
  return out;
}

const pvesr: CommandHandler = (ctx) => {
  const [sub, ...args] = ctx.argv.slice(1);
  const down = pmxcfsUnavailable(ctx);
  if (down) return down;
  if (sub !== "status") return unsupported(ctx);
  // PVE adopts the jobs under replication.cfg's cfs lock, which needs a writable /etc/pve.
  if (pmxcfsQuorate(ctx.state, ctx.node)) adoptLocalJobs(ctx.state, ctx.node.name);
  if (args.length === 0) return ok(status(ctx, null));
  if (args.length === 2 && args[0] === "--guest" && /^\d+$/.test(args[1] ?? "")) {
    return ok(status(ctx, Number(args[1])));
  }
  return unsupported(ctx);
};

export const replicationCommands: Record<string, CommandHandler> = { pvesr };
