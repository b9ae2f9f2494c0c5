/**
 * What a process's death means: a unit's main process takes its unit down (SIGTERM is a clean
 * exit for systemd, so the unit ends `inactive`), a killed local-mode pmxcfs unmounts /etc/pve,
 * and a guest's kvm / lxc-start leaves the guest stopped.
 */
import type { LabNode, LabState } from "../state.js";
import { PMXCFS_PIDFILE } from "./processes.js";
import { stopUnit } from "./services.js";

export function killProcess(state: LabState, node: LabNode, pid: number): void {
  const proc = node.procs.find((p) => p.pid === pid);
  node.procs = node.procs.filter((p) => p.pid !== pid);
  if (proc?.unit && node.services[proc.unit] === "active") stopUnit(state, node, proc.unit);
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
