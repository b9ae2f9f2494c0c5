/** Lock situations shared by several scenarios. */
import type { LabState } from "../../state.js";
import { addGuest, container, vm } from "./guests.js";
import { addTask } from "./tasks.js";

/**
 * CT `vmid` keeps `lock: backup` although no backup runs: the last vzdump ended with
 * "unexpected status" and a second "running" entry points at a pid that no longer exists.
 */
export function staleBackupContainer(state: LabState, vmid: number, node: string, hostname: string): void {
  addGuest(state, {
    ...container(vmid, node, hostname, "running", { lock: "backup", onboot: "1" }),
    description: "Web frontend: nginx + php-fpm\nowner: web team (50% of traffic)",
  });
  addTask(state, {
    node,
    type: "vzdump",
    id: String(vmid),
    startedAgo: 2 * 86_400 + 3_600,
    state: { endedAgo: 2 * 86_400 + 1_200, status: "unexpected status" },
  });
  addTask(state, {
    node,
    type: "vzstart",
    id: String(vmid),
    startedAgo: 86_400 + 7_200,
    state: { endedAgo: 86_400 + 7_198, status: "OK" },
  });
  addTask(state, { node, type: "vzdump", id: String(vmid), startedAgo: 86_400 + 3_600, state: "dead" });
}

/** VM `vmid` is locked `migrate` by a qmigrate task that is really still running (live pid + pstart). */
export function migratingVm(state: LabState, vmid: number, node: string, name: string): string {
  addGuest(state, vm(vmid, node, name, "running", { lock: "migrate" }));
  return addTask(state, { node, type: "qmigrate", id: String(vmid), startedAgo: 240, state: "running" });
}
