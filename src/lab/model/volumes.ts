/**
 * Guest disks and where they exist: a volume on shared storage is everywhere, a volume on a local
 * storage (dir, lvm, lvmthin, zfspool) only on nodes that hold it (the owner, replication targets).
 * Starting a guest activates every disk first, so a missing one fails the start (PVE::Storage).
 */
import type { LabNode } from "../state.js";
import { isNetworkStorage, type LabStorage } from "./storage.js";

const QEMU_DISK = /^(ide|sata|scsi|virtio|efidisk|tpmstate)\d+$/;
const LXC_DISK = /^(rootfs|mp\d+)$/;
const SHARED_TYPES = new Set(["rbd", "iscsi", "iscsidirect", "pbs", "zfs", "drbd"]);

/** Volume ids (`local-zfs:vm-100-disk-0`) of a guest's disks, from its main-section keys. */
export function guestVolumes(keys: Record<string, string>, type: "qemu" | "lxc"): string[] {
  const pattern = type === "qemu" ? QEMU_DISK : LXC_DISK;
  return Object.entries(keys).flatMap(([key, value]) => {
    if (!pattern.test(key) || /(^|,)media=cdrom(,|$)/.test(value)) return [];
    const volid = value.split(",")[0] ?? "";
    return /^[a-z][a-z0-9._-]*:./i.test(volid) ? [volid] : [];
  });
}

export function sharedStorage(storage: LabStorage): boolean {
  return isNetworkStorage(storage) || SHARED_TYPES.has(storage.type) || storage.props.shared === "1";
}

/** The error activation dies with for a volume this node does not have, or null when it is there. */
export function missingVolumeError(node: LabNode, storages: LabStorage[], volid: string): string | null {
  const [storeid = "", name = ""] = volid.split(/:(.*)/s);
  const storage = storages.find((s) => s.id === storeid);
  if (!storage) return `storage '${storeid}' does not exist`;
  if (sharedStorage(storage) || node.volumes.includes(volid)) return null;
  switch (storage.type) {
    case "zfspool":
      return `zfs error: cannot open '${storage.props.pool ?? "rpool/data"}/${name}': dataset does not exist`;
    case "lvmthin":
    case "lvm":
      return `no such logical volume ${storage.props.vgname ?? "pve"}/${name}`;
    default:
      return `volume '${volid}' does not exist`;
  }
}
