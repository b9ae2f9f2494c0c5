/**
 * `pvesr status` (§7.2): `%-10s %-10s %-20s %20s %20s %10s %10s %s`, only jobs of guests on this
 * node, Target `local/<node>`, times as `YYYY-MM-DD_HH:MM:SS`, NextSync `pending` when due, and
 * State `OK` or the full (possibly multi-line) error text. `pvesr schedule-now <id>` (API
 * schedule_now → ReplicationState::schedule_job_now) prints nothing; the job then runs at the next
 * look at this node's jobs, standing in for pvescheduler's run within the minute.
 */
import { strftime } from "../model/clock.js";
import { pmxcfsQuorate } from "../model/pmxcfs.js";
import { adoptLocalJobs, lastRun, localJobs, nextRun, replicationJobs } from "../model/replication.js";
import { runReplication } from "../model/replication-run.js";
import { pmxcfsUnavailable } from "./pve-env.js";
import { type CommandContext, type CommandHandler, fail, ok, unsupported } from "./types.js";

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

const PVE_DIE = 255;

function scheduleNow(ctx: CommandContext, args: string[]): ReturnType<CommandHandler> {
  const id = args[0] ?? "";
  if (args.length !== 1) return unsupported(ctx);
  if (!/^\d+-\d+$/.test(id))
    return fail(
      `400 Parameter verification failed.\nid: invalid format - replication job id '${id}' is not valid\n`,
      PVE_DIE,
    );
  if (!replicationJobs(ctx.state).some((j) => j.id === id))
    return fail(`no such replication job '${id}'`, PVE_DIE);
  // schedule_job_now changes nothing when the job has no state on this node yet.
  if (localJobs(ctx.state, ctx.node.name).some((j) => j.id === id) && !ctx.state.replicationDue.includes(id))
    ctx.state.replicationDue.push(id);
  return ok();
}

/** pvescheduler on this node: jobs made due by schedule-now run before anyone looks again. */
function runDue(ctx: CommandContext): void {
  const here = new Set(localJobs(ctx.state, ctx.node.name).map((j) => j.id));
  const due = ctx.state.replicationDue.filter((id) => here.has(id));
  ctx.state.replicationDue = ctx.state.replicationDue.filter((id) => !here.has(id));
  for (const id of due) runReplication(ctx.state, id);
}

const pvesr: CommandHandler = (ctx) => {
  const [sub, ...args] = ctx.argv.slice(1);
  const down = pmxcfsUnavailable(ctx);
  if (down) return down;
  if (sub === "schedule-now") return scheduleNow(ctx, args);
  if (sub !== "status") return unsupported(ctx);
  // PVE adopts the jobs under replication.cfg's cfs lock, which needs a writable /etc/pve.
  if (pmxcfsQuorate(ctx.state, ctx.node)) {
    adoptLocalJobs(ctx.state, ctx.node.name);
    runDue(ctx);
  }
  if (args.length === 0) return ok(status(ctx, null));
  if (args.length === 2 && args[0] === "--guest" && /^\d+$/.test(args[1] ?? "")) {
    return ok(status(ctx, Number(args[1])));
  }
  return unsupported(ctx);
};

export const replicationCommands: Record<string, CommandHandler> = { pvesr };
