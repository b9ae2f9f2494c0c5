/** Processes on a node: lookup and spawning. What a process's death means lives in `kill.ts`. */
import type { LabNode, LabProc, LabState } from "../state.js";
import { ticksNow } from "./clock.js";

export const PMXCFS_PIDFILE = "/run/pve-cluster.pid";

export interface SpawnOptions {
  /** @default "S" */
  procState?: string;
  /** @default "" (ps then prints `[comm]`) */
  args?: string;
  /** @default 0 */
  rss?: number;
  /** @default 0 */
  cpuPermille?: number;
  /** @default null */
  unit?: string | null;
}

export function findProc(node: LabNode, pid: number): LabProc | undefined {
  return node.procs.find((p) => p.pid === pid);
}

/** Start a process now and return it (pid from the lab's counter, start time = current ticks). */
export function spawn(state: LabState, node: LabNode, comm: string, options: SpawnOptions = {}): LabProc {
  const proc: LabProc = {
    pid: state.nextPid,
    starttime: ticksNow(state, node),
    comm,
    state: options.procState ?? "S",
    args: options.args ?? "",
    rss: options.rss ?? 0,
    cpuPermille: options.cpuPermille ?? 0,
    unit: options.unit ?? null,
  };
  state.nextPid += 1;
  node.procs.push(proc);
  return proc;
}
