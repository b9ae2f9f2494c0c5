/** The lab `npm start` opens: a quorate cluster with one of each everyday problem. */
import { baseCluster } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { migratingVm, staleBackupContainer } from "./build/locks.js";
import { LOCAL_STORAGES, mountStorage, nfsStorage, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

export const defaultScenario: Scenario = {
  name: "default",
  description:
    "3 quorate nodes: CT 100 with a stale backup lock, VM 200 migrating, nfs-backup hung on pve2 (CT 105 uses it), nfs-iso hung on pve3",
  build() {
    const state = baseCluster({ scenario: "default" });
    setStorages(
      state,
      LOCAL_STORAGES,
      nfsStorage("nfs-backup", "10.10.20.50", "/export/backup", "backup,rootdir"),
      nfsStorage("nfs-iso", "10.10.20.51", "/export/iso", "iso,vztmpl"),
    );
    for (const node of ["pve1", "pve2", "pve3"]) {
      mountStorage(state, node, "nfs-backup", node === "pve2");
      mountStorage(state, node, "nfs-iso", node === "pve3");
    }
    addGuest(
      state,
      container(105, "pve2", "files01", "running", {
        mp0: "nfs-backup:105/vm-105-disk-1.raw,mp=/data,size=8G",
      }),
    );
    migratingVm(state, 200, "pve1", "db01");
    staleBackupContainer(state, 100, "pve1", "web01");
    addGuest(state, vm(300, "pve3", "app01", "running"));
    addGuest(state, container(101, "pve2", "dns01", "stopped"));
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [defaultScenario];
