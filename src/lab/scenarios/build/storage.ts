/** storage.cfg entries as PVE writes them, and the mounts they leave on each node. */
import { readStorageCfg, storageMount } from "../../model/storage.js";
import type { LabState } from "../../state.js";
import { nodeOf } from "./cluster.js";

export const LOCAL_STORAGES =
  "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\n" +
  "lvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n";

/** A ZFS install: `local` for ISOs and backups, `local-zfs` (replication-capable) for guest disks. */
export const ZFS_STORAGES =
  "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\n" +
  "zfspool: local-zfs\n\tpool rpool/data\n\tsparse\n\tcontent images,rootdir\n";

export function nfsStorage(
  id: string,
  server: string,
  exportPath: string,
  content: string,
  extra = "",
): string {
  return `nfs: ${id}\n\texport ${exportPath}\n\tpath /mnt/pve/${id}\n\tserver ${server}\n\tcontent ${content}\n${extra}\toptions vers=4.2\n`;
}

export function setStorages(state: LabState, ...sections: string[]): void {
  state.pve["storage.cfg"] = sections.join("\n");
}

/** Mount a network storage on a node as activation did; `hung` = its server stopped answering since. */
export function mountStorage(state: LabState, nodeName: string, id: string, hung = false): void {
  const storage = readStorageCfg(state.pve["storage.cfg"] ?? "").find((s) => s.id === id);
  if (!storage) throw new Error(`scenario bug: no storage ${id}`);
  const node = nodeOf(state, nodeName);
  const mount = storageMount(state, node, storage);
  node.mounts.push({ ...mount, hung });
  if (!node.dirs.includes(mount.mountpoint)) node.dirs.push(mount.mountpoint);
}
