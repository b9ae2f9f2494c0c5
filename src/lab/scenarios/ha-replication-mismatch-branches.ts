/**
 * ha-replication-mismatch's other branches: HA already where the replicas are, a guest that is
 * gone, no quorum anywhere, and recoveries with no replica on the wanted node or that node down too.
 */
import { baseCluster, nodeOf, powerOff } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { setHaGroups, setHaResources } from "./build/ha.js";
import { addReplicationJob } from "./build/replication.js";
import { setStorages, ZFS_STORAGES } from "./build/storage.js";
import { buildReplicatedCluster, ZFS_DISK } from "./ha-replication.js";
import type { Scenario } from "./types.js";

export const haReplicationMismatchAlignedScenario: Scenario = {
  name: "ha-replication-mismatch-aligned",
  description:
    "vm:100 in HA group pair (pve1:2,pve2:1, restricted), replicated to pve2: HA only picks nodes that hold its disks",
  build() {
    const state = buildReplicatedCluster("ha-replication-mismatch-aligned");
    setHaGroups(state, { pair: { nodes: "pve1:2,pve2:1", restricted: "1" } });
    setHaResources(state, { sid: "ct:101" }, { sid: "vm:100", props: { group: "pair" } });
    return state;
  },
};

export const haReplicationMismatchDestroyedScenario: Scenario = {
  name: "ha-replication-mismatch-destroyed",
  description: "VM 100 was destroyed; CT 101 (HA) and VM 102 (replicated to pve1) are left",
  build() {
    const state = baseCluster({ scenario: "ha-replication-mismatch-destroyed" });
    setStorages(state, ZFS_STORAGES);
    addGuest(
      state,
      container(101, "pve2", "dns01", "running", { rootfs: "local-zfs:subvol-101-disk-0,size=8G" }),
    );
    addGuest(state, vm(102, "pve3", "git01", "running", { scsi0: ZFS_DISK(102) }));
    addReplicationJob(state, { vmid: 102, type: "qemu", source: "pve3", jobnum: 0, target: "pve1" });
    setHaResources(state, { sid: "ct:101" });
    return state;
  },
};

export const haReplicationMismatchNoQuorumScenario: Scenario = {
  name: "ha-replication-mismatch-no-quorum",
  description:
    "ha-replication-mismatch with every corosync link cut: no node is quorate, /etc/pve is read-only and no membership proves pve1 down",
  build() {
    const state = buildReplicatedCluster("ha-replication-mismatch-no-quorum");
    setHaGroups(state, { "prefer-a": { nodes: "pve1:2,pve3:1", restricted: "0" } });
    setHaResources(state, { sid: "ct:101" }, { sid: "vm:100", props: { group: "prefer-a" } });
    for (const node of state.nodes) nodeOf(state, node.name).clusterLink = false;
    state.membershipEpoch += 1;
    return state;
  },
};

export const haReplicationMismatchNoReplicaScenario: Scenario = {
  name: "ha-replication-mismatch-no-replica",
  description: "pve1 lost power; vm:100 is replicated to pve3 only, so pve2 has no copy of its disks",
  build() {
    const state = baseCluster({ scenario: "ha-replication-mismatch-no-replica" });
    setStorages(state, ZFS_STORAGES);
    addGuest(state, vm(100, "pve1", "db01", "running", { scsi0: ZFS_DISK(100) }));
    addGuest(
      state,
      container(101, "pve2", "dns01", "running", { rootfs: "local-zfs:subvol-101-disk-0,size=8G" }),
    );
    addReplicationJob(state, { vmid: 100, type: "qemu", source: "pve1", jobnum: 0, target: "pve3" });
    setHaResources(state, { sid: "ct:101" }, { sid: "vm:100" });
    powerOff(state, "pve1");
    return state;
  },
};

export const haReplicationMismatchReplicaDownScenario: Scenario = {
  name: "ha-replication-mismatch-replica-down",
  description:
    "5 nodes: pve1 (vm:100) and pve2 (its replica) both lost power; pve3 to pve5 are quorate without them",
  build() {
    const state = buildReplicatedCluster("ha-replication-mismatch-replica-down", 5);
    setHaResources(state, { sid: "ct:101" }, { sid: "vm:100" });
    powerOff(state, "pve1");
    powerOff(state, "pve2");
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  haReplicationMismatchAlignedScenario,
  haReplicationMismatchDestroyedScenario,
  haReplicationMismatchNoQuorumScenario,
  haReplicationMismatchNoReplicaScenario,
  haReplicationMismatchReplicaDownScenario,
];
