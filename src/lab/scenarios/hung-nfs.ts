/** Hung network storages with different stakes: unused, used by a running CT, used by a stopped VM, server gone. */
import { baseCluster } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { LOCAL_STORAGES, mountStorage, nfsStorage, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

const SMB_TEMPLATES =
  "cifs: smb-tmpl\n\tpath /mnt/pve/smb-tmpl\n\tserver 10.10.20.60\n\tshare templates\n\tcontent iso,vztmpl\n\tusername pve\n";

export const hungNfsScenario: Scenario = {
  name: "hung-nfs",
  description:
    "nfs-iso hung on pve3 (unused), nfs-backup hung on pve2 under running CT 105, smb-tmpl hung on pve1 (stopped VM 210), nfs-dead hung on pve3 with its server down",
  build() {
    const state = baseCluster({ scenario: "hung-nfs" });
    setStorages(
      state,
      LOCAL_STORAGES,
      nfsStorage("nfs-backup", "10.10.20.50", "/export/backup", "backup,rootdir"),
      nfsStorage("nfs-iso", "10.10.20.51", "/export/iso", "iso,vztmpl"),
      SMB_TEMPLATES,
      nfsStorage("nfs-dead", "10.10.20.99", "/export/old-backups", "backup", "\tnodes pve3\n"),
    );
    state.nfsServers["10.10.20.99"] = "down";
    for (const node of ["pve1", "pve2", "pve3"]) {
      mountStorage(state, node, "nfs-backup", node === "pve2");
      mountStorage(state, node, "nfs-iso", node === "pve3");
      mountStorage(state, node, "smb-tmpl", node === "pve1");
    }
    mountStorage(state, "pve3", "nfs-dead", true);
    addGuest(
      state,
      container(105, "pve2", "files01", "running", {
        mp0: "nfs-backup:105/vm-105-disk-1.raw,mp=/data,size=8G",
      }),
    );
    addGuest(
      state,
      vm(210, "pve1", "installer", "stopped", { ide2: "smb-tmpl:iso/debian-13.iso,media=cdrom" }),
    );
    addGuest(state, container(101, "pve2", "dns01", "stopped"));
    addGuest(state, vm(300, "pve3", "app01", "running"));
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [hungNfsScenario];
