/**
 * hung-nfs's other branches: nothing hung, a server that is gone, a node that cannot be checked,
 * and storages that are not network storages or do not exist.
 */
import type { LabState } from "../state.js";
import { baseCluster, powerOff } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { LOCAL_STORAGES, mountStorage, nfsStorage, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

const NODES = ["pve1", "pve2", "pve3"];

/** nfs-backup and nfs-iso mounted everywhere; `hung` lists `storage@node` mounts that hang. */
function buildMounted(scenario: string, hung: readonly string[] = []): LabState {
  const state = baseCluster({ scenario });
  setStorages(
    state,
    LOCAL_STORAGES,
    nfsStorage("nfs-backup", "10.10.20.50", "/export/backup", "backup,rootdir"),
    nfsStorage("nfs-iso", "10.10.20.51", "/export/iso", "iso,vztmpl"),
  );
  for (const node of NODES) {
    for (const id of ["nfs-backup", "nfs-iso"]) mountStorage(state, node, id, hung.includes(`${id}@${node}`));
  }
  addGuest(state, container(101, "pve2", "dns01", "stopped"));
  addGuest(state, vm(300, "pve3", "app01", "running"));
  return state;
}

export const hungNfsHealthyScenario: Scenario = {
  name: "hung-nfs-healthy",
  description: "nfs-backup and nfs-iso mounted on every node and answering: nothing hangs",
  build: () => buildMounted("hung-nfs-healthy"),
};

export const hungNfsServerDownScenario: Scenario = {
  name: "hung-nfs-server-down",
  description:
    "nfs-iso hung on pve3 and nfs-backup on pve2, both because their servers are gone: a remount would hang again",
  build() {
    const state = buildMounted("hung-nfs-server-down", ["nfs-iso@pve3", "nfs-backup@pve2"]);
    state.nfsServers["10.10.20.50"] = "down";
    state.nfsServers["10.10.20.51"] = "down";
    return state;
  },
};

export const hungNfsNodeDownScenario: Scenario = {
  name: "hung-nfs-node-down",
  description: "pve1 lost power: whether nfs-iso hangs there cannot be checked; it answers on pve2 and pve3",
  build() {
    const state = buildMounted("hung-nfs-node-down");
    powerOff(state, "pve1");
    return state;
  },
};

export const hungNfsLocalScenario: Scenario = {
  name: "hung-nfs-local",
  description: "`nfs-iso` is a local directory storage here, and there is no `nfs-backup` at all",
  build() {
    const state = baseCluster({ scenario: "hung-nfs-local" });
    setStorages(state, LOCAL_STORAGES, "dir: nfs-iso\n\tpath /srv/iso\n\tcontent iso,vztmpl\n");
    addGuest(state, vm(300, "pve3", "app01", "running"));
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  hungNfsHealthyScenario,
  hungNfsServerDownScenario,
  hungNfsNodeDownScenario,
  hungNfsLocalScenario,
];
