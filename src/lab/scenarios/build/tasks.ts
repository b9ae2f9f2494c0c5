/**
 * Task entries in /var/log/pve/tasks/active with real UPIDs, and the processes behind them:
 * a running task's pid lives with the same start ticks; a stale one points at a dead pid, or at a
 * recycled pid that belongs to another process now (same pid, other start time).
 */
import type { LabState } from "../../state.js";
import { nodeOf } from "./cluster.js";
import { startedAgo, ticksAgo } from "./processes.js";

export const TASKS_ACTIVE = "/var/log/pve/tasks/active";

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");

export interface TaskSpec {
  node: string;
  type: string;
  /** The VMID, or "" for multi-guest vzdump jobs. */
  id: string;
  user?: string;
  startedAgo: number;
  /** running: live process; dead: "running" entry without a process; recycled: pid reused by another process. */
  state: "running" | "dead" | "recycled" | { endedAgo: number; status: string };
}

export function addTask(state: LabState, spec: TaskSpec): string {
  const node = nodeOf(state, spec.node);
  const starttime = state.clock - spec.startedAgo;
  let pid: number;
  let pstart: number;
  if (spec.state === "running") {
    const proc = startedAgo(state, node, `task UPID:${node.name}:`.slice(0, 15), spec.startedAgo);
    pid = proc.pid;
    pstart = proc.starttime;
  } else {
    pid = state.nextPid;
    pstart = ticksAgo(state, node, spec.startedAgo);
    state.nextPid += 3;
    if (spec.state === "recycled") {
      // After a reboot or pid wrap-around the number is in use again, by something else.
      node.procs.push({
        pid,
        starttime: ticksAgo(state, node, 600),
        comm: "sshd",
        state: "S",
        args: "sshd: root@notty",
        rss: 9_216,
        cpuPermille: 0,
        unit: null,
      });
    }
  }
  const upid = `UPID:${node.name}:${hex8(pid)}:${hex8(pstart)}:${hex8(starttime)}:${spec.type}:${spec.id}:${spec.user ?? "root@pam"}:`;
  const line =
    typeof spec.state === "object"
      ? `${upid} 1 ${hex8(state.clock - spec.state.endedAgo)} ${spec.state.status}`
      : `${upid} 0`;
  const lines = [...(node.files[TASKS_ACTIVE] ?? "").split("\n").filter(Boolean), line];
  node.files[TASKS_ACTIVE] = `${lines.sort((a, b) => startOf(b) - startOf(a)).join("\n")}\n`;
  return upid;
}

/** A running vzdump job also announces itself in /var/run/vzdump.pid (its UPID). */
export function markRunningVzdump(state: LabState, nodeName: string, upid: string): void {
  nodeOf(state, nodeName).files["/run/vzdump.pid"] = `${upid}\n`;
}

/** Newest task first, as the active file is usually seen. */
function startOf(line: string): number {
  return Number.parseInt(line.split(":")[4] ?? "0", 16);
}
