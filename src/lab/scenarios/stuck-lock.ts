/** Every kind of guest lock side by side: stale ones to clear and legitimate ones to leave alone. */
import type { LabState } from "../state.js";
import { baseCluster } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { migratingVm, staleBackupContainer } from "./build/locks.js";
import { LOCAL_STORAGES, setStorages } from "./build/storage.js";
import { addTask, markRunningVzdump } from "./build/tasks.js";
import type { Scenario } from "./types.js";

export function buildStuckLock(scenario: string): LabState {
  const state = baseCluster({ scenario });
  setStorages(state, LOCAL_STORAGES);
  // pve1: a stale backup lock and a migration that is really running.
  staleBackupContainer(state, 100, "pve1", "web01");
  migratingVm(state, 200, "pve1", "db01");
  // pve2: CT 102 is being backed up by a multi-guest job (empty id in the UPID; vzdump.pid has it).
  addGuest(state, container(102, "pve2", "mail01", "running", { lock: "backup" }));
  const job = addTask(state, { node: "pve2", type: "vzdump", id: "", startedAgo: 1_800, state: "running" });
  markRunningVzdump(state, "pve2", job);
  // pve2: VM 201 hibernated to disk — `suspended` is a state, not a stale lock.
  addGuest(
    state,
    vm(201, "pve2", "ci-runner", "stopped", {
      lock: "suspended",
      runningcpu: "x86-64-v2-AES,+kvm_pv_eoi,+kvm_pv_unhalt",
      runningmachine: "pc-i440fx-9.2+pve1",
      vmstate: "local-lvm:vm-201-state-suspend-2026-03-10",
    }),
  );
  // pve3: CT 103's "running" vzdump points at a pid that now belongs to another process.
  addGuest(state, container(103, "pve3", "git01", "running", { lock: "backup" }));
  addTask(state, { node: "pve3", type: "vzdump", id: "103", startedAgo: 3 * 86_400, state: "recycled" });
  // pve3: VM 204 has `lock:` only inside a snapshot section: it is not locked.
  const app = vm(204, "pve3", "app04", "running");
  const snapshot = { ...app.keys, lock: "backup", snaptime: "1772900000" };
  addGuest(state, {
    ...app,
    keys: { ...app.keys, parent: "before-upgrade" },
    sections: { "before-upgrade": snapshot },
  });
  return state;
}

export const stuckLockScenario: Scenario = {
  name: "stuck-lock",
  description:
    "guest locks only: stale backup (CT 100, CT 103 with a recycled pid), live migrate (VM 200) and backup job (CT 102), suspended VM 201, VM 204 locked only in a snapshot",
  build: () => buildStuckLock("stuck-lock"),
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [stuckLockScenario];
