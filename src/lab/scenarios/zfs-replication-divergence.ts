/**
 * ZFS replication of vm:100 (pve1 → pve2, job 100-0) that no longer finds a common base snapshot,
 * one scenario per decision of zfs-replication-divergence: the divergence to fix, the guest living
 * on the target, a target copy newer than anything pve1 has, a target pool too small for a full
 * copy, and a healthy job (the other refusals: zfs-replication-divergence-branches.ts). The failing
 * runs are real lab runs, so `pvesr status` and the job log say what PVE says.
 */
import { runReplication } from "../model/replication-run.js";
import { REQUIRED_KEYS, readSections, writeSections } from "../model/section-config.js";
import type { LabState } from "../state.js";
import { baseCluster, LAB_EPOCH } from "./build/cluster.js";
import { addGuest, vm } from "./build/guests.js";
import { addReplicationJob } from "./build/replication.js";
import { setStorages, ZFS_STORAGES } from "./build/storage.js";
import { addRpool, addZvol, GiB } from "./build/zfs.js";
import type { Scenario } from "./types.js";

export const DISK = "rpool/data/vm-100-disk-0";
const T1 = LAB_EPOCH - 3 * 86_400; // the last sync both sides had
const RESTORED = LAB_EPOCH - 2 * 86_400; // vm:100's disk restored from a backup on pve1
const SNAP = (t: number) => `__replicate_100-0_${t}__`;

export interface Options {
  /** Where vm:100 lives. @default pve1 */
  guestOn?: string;
  /** Size of pve2's pool. @default 1 TiB */
  targetPool?: number;
  /** pve2's copy also has a sync newer than pve1's disk (taken while the guest ran there). */
  targetNewer?: boolean;
  healthy?: boolean;
}

export function buildDivergence(scenario: string, o: Options = {}): LabState {
  const state = baseCluster({ scenario });
  setStorages(state, ZFS_STORAGES);
  addRpool(state, "pve1", 1024 * GiB);
  addRpool(state, "pve2", o.targetPool ?? 1024 * GiB);
  addRpool(state, "pve3", 1024 * GiB);
  const guestOn = o.guestOn ?? "pve1";
  addGuest(
    state,
    vm(100, guestOn, "db01", "running", { scsi0: "local-zfs:vm-100-disk-0,iothread=1,size=64G" }),
  );
  addReplicationJob(state, {
    vmid: 100,
    type: "qemu",
    source: "pve1",
    jobnum: 0,
    target: "pve2",
    syncedAgo: LAB_EPOCH - T1,
  });
  const zvol = { name: DISK, volsize: 64 * GiB, referenced: 41 * GiB };
  const common = { name: SNAP(T1), guid: "7311264188054791301", creation: T1, used: 0 };
  if (o.healthy) {
    addZvol(state, "pve1", { ...zvol, creation: LAB_EPOCH - 90 * 86_400, snapshots: [common] });
    addZvol(state, "pve2", { ...zvol, creation: T1 - 80 * 86_400, snapshots: [common] });
    return state;
  }
  const newer = {
    name: SNAP(LAB_EPOCH - 86_400),
    guid: "12868112953377160452",
    creation: LAB_EPOCH - 86_400,
  };
  addZvol(state, "pve1", {
    ...zvol,
    creation: RESTORED,
    written: 2 * GiB,
    // A restore writes a new disk: the snapshots of the old one are gone with it.
    snapshots: o.targetNewer ? [{ ...common, guid: "9933004826161385521", creation: RESTORED + 600 }] : [],
  });
  addZvol(state, "pve2", {
    ...zvol,
    referenced: 39 * GiB,
    creation: T1 - 80 * 86_400,
    snapshots: [{ ...common, used: 3 * GiB }, ...(o.targetNewer ? [newer] : [])],
  });
  if (o.targetPool !== undefined) {
    addZvol(state, "pve2", {
      name: "rpool/data/vm-120-disk-0",
      volsize: 40 * GiB,
      referenced: 36 * GiB,
      creation: T1,
    });
  }
  if (guestOn !== "pve1") {
    // Moved by hand, not migrated: the job still names pve2 as its target and was never run from there.
    const sections = readSections(state.pve["replication.cfg"]);
    for (const section of sections) delete section.props.source;
    state.pve["replication.cfg"] = writeSections(sections, REQUIRED_KEYS);
  } else {
    // pvescheduler tried three times since the restore; each run failed the same way.
    for (const ago of [1_800, 1_200, 600]) {
      state.clock = LAB_EPOCH - ago;
      runReplication(state, "100-0");
    }
    state.clock = LAB_EPOCH;
  }
  return state;
}

export const zfsReplicationDivergenceScenario: Scenario = {
  name: "zfs-replication-divergence",
  description:
    "vm:100's disk was restored from a backup on pve1: job 100-0 to pve2 fails with 'No common base snapshot' (3 failures); pve2's copy is an older replica",
  build: () => buildDivergence("zfs-replication-divergence"),
};

export const zfsReplicationDivergenceGuestOnTargetScenario: Scenario = {
  name: "zfs-replication-divergence-guest-on-target",
  description:
    "vm:100 was recovered by hand onto pve2, the target of its job 100-0: pve2's copy is the disk it runs from",
  build: () => buildDivergence("zfs-replication-divergence-guest-on-target", { guestOn: "pve2" }),
};

export const zfsReplicationDivergenceTargetNewerScenario: Scenario = {
  name: "zfs-replication-divergence-target-newer",
  description:
    "job 100-0 fails with no common base, and pve2's copy carries a sync newer than anything pve1's disk has",
  build: () => buildDivergence("zfs-replication-divergence-target-newer", { targetNewer: true }),
};

export const zfsReplicationDivergenceNoSpaceScenario: Scenario = {
  name: "zfs-replication-divergence-no-space",
  description:
    "job 100-0 fails with no common base, and pve2's 112 GiB pool cannot hold a full copy beside the one set aside",
  build: () => buildDivergence("zfs-replication-divergence-no-space", { targetPool: 112 * GiB }),
};

export const zfsReplicationDivergenceHealthyScenario: Scenario = {
  name: "zfs-replication-divergence-healthy",
  description: "job 100-0 (vm:100, pve1 → pve2) replicates fine: nothing to do",
  build: () => buildDivergence("zfs-replication-divergence-healthy", { healthy: true }),
};

export const scenarios: readonly Scenario[] = [
  zfsReplicationDivergenceScenario,
  zfsReplicationDivergenceGuestOnTargetScenario,
  zfsReplicationDivergenceTargetNewerScenario,
  zfsReplicationDivergenceNoSpaceScenario,
  zfsReplicationDivergenceHealthyScenario,
];
