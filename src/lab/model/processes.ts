/** Processes on a node and what their death means (a killed local-mode pmxcfs unmounts /etc/pve). */
import type { LabNode, LabProc, LabState } from "../state.js";
import { ticksNow } from "./clock.js";

export const PMXCFS_PIDFILE = "/run/pve-cluster.pid";

export function findProc(node: LabNode, pid: number): LabProc | undefined {
  return node.procs.find((p) => p.pid === pid);
}

/** Start a process now and return it (pid from the lab's counter, start time = current ticks). */
export function spawn(state: LabState, node: LabNode, comm: string, procState = "S"): LabProc {
  const proc: LabProc = { pid: state.nextPid, starttime: ticksNow(state, node), comm, state: procState };
  state.nextPid += 1;
  node.procs.push(proc);
  return proc;
}

export function killProcess(state: LabState, node: LabNode, pid: number): void {
  node.procs = node.procs.filter((p) => p.pid !== pid);
  if (node.pmxcfsLocalMode && node.files[PMXCFS_PIDFILE]?.trim() === String(pid)) {
    node.pmxcfsLocalMode = false;
    delete node.files[PMXCFS_PIDFILE];
  }
  for (const runtime of Object.values(state.guests)) {
    if (runtime.pid === pid) {
      runtime.status = "stopped";
      runtime.pid = null;
    }
  }
}
