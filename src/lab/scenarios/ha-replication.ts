/**
 * HA placement that disagrees with storage replication: HA may move vm:100 to a node without a
 * replica (PVE 8 group, PVE 9 node-affinity rule), and a dead node whose replicated VM must be
 * recovered by hand on the node that has the replica.
 */
import type { LabState } from "../state.js";
import { baseCluster, powerOff } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { setHaGroups, setHaResources, setHaRules } from "./build/ha.js";
import { addReplicationJob } from "./build/replication.js";
import { setStorages, ZFS_STORAGES } from "./build/storage.js";
import type { Scenario } from "./types.js";

export const ZFS_DISK = (vmid: number) => `local-zfs:vm-${vmid}-disk-0,iothread=1,size=32G`;

/** vm:100 on pve1 replicated to pve2; ct:101 on pve2 (HA, no replication); vm:102 on pve3 replicated to pve1 (no HA). */
export function buildReplicatedCluster(scenario: string, nodes?: number): LabState {
  const state = baseCluster({ scenario, ...(nodes ? { nodes } : {}) });
  setStorages(state, ZFS_STORAGES);
  addGuest(state, vm(100, "pve1", "db01", "running", { scsi0: ZFS_DISK(100) }));
  addGuest(
    state,
    container(101, "pve2", "dns01", "running", { rootfs: "local-zfs:subvol-101-disk-0,size=8G" }),
  );
  addGuest(state, vm(102, "pve3", "git01", "running", { scsi0: ZFS_DISK(102) }));
  addReplicationJob(state, { vmid: 100, type: "qemu", source: "pve1", jobnum: 0, target: "pve2" });
  addReplicationJob(state, {
    vmid: 102,
    type: "qemu",
    source: "pve3",
    jobnum: 0,
    target: "pve1",
    schedule: "*/30",
    syncedAgo: 1_020,
    duration: 1.908321,
  });
  return state;
}

export const haReplicationMismatchScenario: Scenario = {
  name: "ha-replication-mismatch",
  description:
    "PVE 8: vm:100 in HA group prefer-a (pve1:2,pve3:1, unrestricted) but replicated only to pve2, so HA may recover it on pve3 without a replica",
  build() {
    const state = buildReplicatedCluster("ha-replication-mismatch");
    setHaGroups(state, { "prefer-a": { nodes: "pve1:2,pve3:1", restricted: "0" } });
    setHaResources(state, { sid: "ct:101" }, { sid: "vm:100", props: { group: "prefer-a" } });
    return state;
  },
};

export const haReplicationMismatchRulesScenario: Scenario = {
  name: "ha-replication-mismatch-rules",
  description:
    "PVE 9: a strict node-affinity rule keeps vm:100 on pve1,pve3 but it is replicated only to pve2",
  build() {
    const state = buildReplicatedCluster("ha-replication-mismatch-rules");
    setHaResources(state, { sid: "ct:101" }, { sid: "vm:100" });
    setHaRules(state, [
      {
        type: "node-affinity",
        id: "vm100-placement",
        props: { nodes: "pve1,pve3", resources: "vm:100", strict: "1" },
      },
    ]);
    return state;
  },
};

export const haReplicationRecoveryScenario: Scenario = {
  name: "ha-replication-recovery",
  description:
    "pve1 lost power: vm:100 (HA, stuck in fence) still has its config under nodes/pve1; its replica is on pve2 (job 100-0), pve3 has none",
  build() {
    const state = buildReplicatedCluster("ha-replication-recovery");
    setHaResources(state, { sid: "ct:101" }, { sid: "vm:100" });
    powerOff(state, "pve1");
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  haReplicationMismatchScenario,
  haReplicationMismatchRulesScenario,
  haReplicationRecoveryScenario,
];
