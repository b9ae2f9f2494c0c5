/**
 * Which tasks are really running on a node. `/var/log/pve/tasks/active` only *claims* a task
 * runs; after a crash it keeps stale lines. A claim holds only if `/proc/<pid>/stat` exists and
 * its start time equals the UPID's pstart (a recycled pid has another start time).
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { parseProcPidStat } from "../parsers/proc-pid-stat.js";
import { parseTasksActive } from "../parsers/tasks-active.js";
import { parseUpid } from "../parsers/upid.js";

export const LiveTask = z.object({
  upid: z.string(),
  node: z.string(),
  type: z.string(),
  id: z.string(),
  user: z.string(),
  pid: z.number(),
  /** Where the claim came from. */
  source: z.enum(["tasks-active", "vzdump.pid"]),
  /** pid alive with the same start time. */
  alive: z.boolean(),
  why: z.string(),
});
export type LiveTask = z.infer<typeof LiveTask>;

/** Running-claimed tasks of a node (active file + vzdump.pid), each verified against /proc. */
export async function runningTasks(ctx: ProbeContext, node: string): Promise<LiveTask[]> {
  const [active, vzdumpPid] = await Promise.all([
    ctx.readFile(node, "/var/log/pve/tasks/active"),
    ctx.readFile(node, "/var/run/vzdump.pid"),
  ]);
  const claims: Array<{ raw: string; source: LiveTask["source"] }> = [];
  for (const t of active ? parseTasksActive(active) : []) {
    if (t.running) claims.push({ raw: t.upid.raw, source: "tasks-active" });
  }
  const vz = vzdumpPid
    ?.split("\n")
    .find((l) => l.startsWith("UPID:"))
    ?.trim();
  if (vz) claims.push({ raw: vz, source: "vzdump.pid" });
  return Promise.all(claims.map((c) => verifyClaim(ctx, node, c.raw, c.source)));
}

async function verifyClaim(
  ctx: ProbeContext,
  node: string,
  raw: string,
  source: LiveTask["source"],
): Promise<LiveTask> {
  const upid = parseUpid(raw);
  const base = {
    upid: raw,
    node: upid.node,
    type: upid.type,
    id: upid.id,
    user: upid.user,
    pid: upid.pid,
    source,
  };
  const stat = await ctx.readFile(node, `/proc/${upid.pid}/stat`);
  if (stat === null) return { ...base, alive: false, why: `pid ${upid.pid} does not exist` };
  const proc = parseProcPidStat(stat);
  if (proc.state === "Z") return { ...base, alive: false, why: `pid ${upid.pid} is a zombie` };
  if (proc.starttime !== upid.pstart) {
    return {
      ...base,
      alive: false,
      why: `pid ${upid.pid} was reused (start time ${proc.starttime}, task's ${upid.pstart})`,
    };
  }
  return { ...base, alive: true, why: `pid ${upid.pid} alive with the task's start time ${upid.pstart}` };
}
