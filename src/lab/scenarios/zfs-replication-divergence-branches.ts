/**
 * zfs-replication-divergence's other branches, each a cluster state PVE can be in: the job gone,
 * its guest's config gone, the target down, a job failing for want of its target (not of a common
 * snapshot), HA fencing the guest's node, and a target copy a guest uses or something wrote to.
 */
import { confRel } from "../model/guests.js";
import { runReplication } from "../model/replication-run.js";
import { REQUIRED_KEYS, readSections, writeSections } from "../model/section-config.js";
import type { LabState } from "../state.js";
import { LAB_EPOCH, nodeOf, powerOff } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { setHaResources } from "./build/ha.js";
import { addZvol, GiB } from "./build/zfs.js";
import type { Scenario } from "./types.js";
import { buildDivergence, DISK } from "./zfs-replication-divergence.js";

const targetCopy = (state: LabState) => {
  const copy = nodeOf(state, "pve2").zfs.datasets.find((d) => d.name === DISK);
  if (!copy) throw new Error(`scenario bug: no ${DISK} on pve2`);
  return copy;
};

export const zfsReplicationDivergenceJobGoneScenario: Scenario = {
  name: "zfs-replication-divergence-job-gone",
  description:
    "job 100-0 was deleted (`pvesr delete 100-0`) after it kept failing: replication.cfg has no job left",
  build() {
    const state = buildDivergence("zfs-replication-divergence-job-gone");
    state.pve["replication.cfg"] = writeSections(
      readSections(state.pve["replication.cfg"]).filter((s) => s.id !== "100-0"),
      REQUIRED_KEYS,
    );
    delete state.replication["100-0"];
    return state;
  },
};

export const zfsReplicationDivergenceGuestGoneScenario: Scenario = {
  name: "zfs-replication-divergence-guest-gone",
  description:
    "vm:100 was stopped and its config removed by hand from /etc/pve/nodes/pve1/qemu-server; job 100-0 still names it; ct:101 runs on pve3",
  build() {
    const state = buildDivergence("zfs-replication-divergence-guest-gone");
    // Stopped first: no kvm process is left of it, only its disks and the job.
    for (const node of state.nodes) node.procs = node.procs.filter((p) => p.pid !== state.guests["100"]?.pid);
    delete state.pve[confRel("pve1", "qemu", 100)];
    delete state.guests["100"];
    // The rest of the cluster runs on.
    addGuest(
      state,
      container(101, "pve3", "dns01", "running", { rootfs: "local-zfs:subvol-101-disk-0,size=8G" }),
    );
    return state;
  },
};

export const zfsReplicationDivergenceTargetDownScenario: Scenario = {
  name: "zfs-replication-divergence-target-down",
  description:
    "job 100-0 fails with no common base, and pve2, its target, has since lost power (pve1 and pve3 stay quorate)",
  build() {
    const state = buildDivergence("zfs-replication-divergence-target-down");
    powerOff(state, "pve2");
    return state;
  },
};

export const zfsReplicationDivergenceTargetWasDownScenario: Scenario = {
  name: "zfs-replication-divergence-target-was-down",
  description:
    "pve2 was down for half an hour and is back: job 100-0 failed three times with 'No route to host', its replica is intact",
  build() {
    const state = buildDivergence("zfs-replication-divergence-target-was-down", { healthy: true });
    const pve2 = nodeOf(state, "pve2");
    powerOff(state, "pve2");
    for (const ago of [1_800, 1_200, 600]) {
      state.clock = LAB_EPOCH - ago;
      runReplication(state, "100-0");
    }
    state.clock = LAB_EPOCH;
    pve2.up = true;
    state.membershipEpoch += 1;
    return state;
  },
};

export const zfsReplicationDivergenceHaFenceScenario: Scenario = {
  name: "zfs-replication-divergence-ha-fence",
  description:
    "job 100-0 fails with no common base, vm:100 is HA-managed, and pve1 lost its corosync link: HA fences pve1 to recover vm:100, on pve2 perhaps",
  build() {
    const state = buildDivergence("zfs-replication-divergence-ha-fence");
    setHaResources(state, { sid: "vm:100" });
    nodeOf(state, "pve1").clusterLink = false;
    state.membershipEpoch += 1;
    return state;
  },
};

export const zfsReplicationDivergenceReplicaInUseScenario: Scenario = {
  name: "zfs-replication-divergence-replica-in-use",
  description:
    "job 100-0 fails with no common base, and pve2's copy of vm:100's disk is attached to vm:120 there (to pull a file out of it)",
  build() {
    const state = buildDivergence("zfs-replication-divergence-replica-in-use");
    addGuest(
      state,
      vm(120, "pve2", "restore-test", "stopped", {
        scsi0: "local-zfs:vm-120-disk-0,size=32G",
        scsi1: "local-zfs:vm-100-disk-0,size=64G",
      }),
    );
    addZvol(state, "pve2", {
      name: "rpool/data/vm-120-disk-0",
      volsize: 32 * GiB,
      referenced: 3 * GiB,
      creation: LAB_EPOCH - 7_200,
    });
    return state;
  },
};

export const zfsReplicationDivergenceReplicaWrittenScenario: Scenario = {
  name: "zfs-replication-divergence-replica-written",
  description:
    "job 100-0 fails with no common base, and 1.5 GiB were written to pve2's copy since its last snapshot (it was used as a disk, then let go)",
  build() {
    const state = buildDivergence("zfs-replication-divergence-replica-written");
    targetCopy(state).written = 1.5 * GiB;
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  zfsReplicationDivergenceJobGoneScenario,
  zfsReplicationDivergenceGuestGoneScenario,
  zfsReplicationDivergenceTargetDownScenario,
  zfsReplicationDivergenceTargetWasDownScenario,
  zfsReplicationDivergenceHaFenceScenario,
  zfsReplicationDivergenceReplicaInUseScenario,
  zfsReplicationDivergenceReplicaWrittenScenario,
];
