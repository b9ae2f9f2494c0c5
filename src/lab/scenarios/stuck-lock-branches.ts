/** stuck-lock's other branches: a lock already gone, and a lock that is a state, not a leftover. */
import { baseCluster } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { LOCAL_STORAGES, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

export const stuckLockUnlockedScenario: Scenario = {
  name: "stuck-lock-unlocked",
  description:
    "nothing to unlock on CT 100 (someone ran pct unlock already); VM 200 hibernated: its `suspended` lock is a state, `qm start` resumes it",
  build() {
    const state = baseCluster({ scenario: "stuck-lock-unlocked" });
    setStorages(state, LOCAL_STORAGES);
    addGuest(state, container(100, "pve1", "web01", "running"));
    addGuest(
      state,
      vm(200, "pve1", "db01", "stopped", {
        lock: "suspended",
        runningcpu: "x86-64-v2-AES,+kvm_pv_eoi,+kvm_pv_unhalt",
        runningmachine: "pc-i440fx-9.2+pve1",
        vmstate: "local-lvm:vm-200-state-suspend-2026-03-10",
      }),
    );
    return state;
  },
};

export const stuckLockDestroyedScenario: Scenario = {
  name: "stuck-lock-destroyed",
  description: "CT 100 and VM 200 were destroyed: there is no guest to unlock (only VM 300 on pve3 is left)",
  build() {
    const state = baseCluster({ scenario: "stuck-lock-destroyed" });
    setStorages(state, LOCAL_STORAGES);
    addGuest(state, vm(300, "pve3", "app01", "running"));
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [stuckLockUnlockedScenario, stuckLockDestroyedScenario];
