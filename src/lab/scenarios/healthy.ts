/** A cluster with nothing wrong: what normal looks like, and where no runbook may find anything. */
import { baseCluster } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { LOCAL_STORAGES, mountStorage, nfsStorage, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

export const healthyScenario: Scenario = {
  name: "healthy",
  description:
    "3 quorate nodes, nothing broken: nfs-backup mounted and answering everywhere, guests running, no lock: no runbook finds anything",
  build() {
    const state = baseCluster({ scenario: "healthy" });
    setStorages(
      state,
      LOCAL_STORAGES,
      nfsStorage("nfs-backup", "10.10.20.50", "/export/backup", "backup,rootdir"),
    );
    for (const node of ["pve1", "pve2", "pve3"]) mountStorage(state, node, "nfs-backup");
    addGuest(state, container(100, "pve1", "web01", "running"));
    addGuest(state, vm(200, "pve2", "db01", "running"));
    addGuest(state, vm(300, "pve3", "app01", "running"));
    addGuest(state, container(101, "pve2", "dns01", "stopped"));
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [healthyScenario];
