/**
 * ZFS as a PVE installer leaves it (`rpool`, `rpool/data` for the local-zfs storage) and guest
 * disks as zvols with their snapshots, sizes in bytes.
 */
import { newGuid } from "../../model/zfs.js";
import type { LabState, LabZfsDataset, LabZfsSnapshot } from "../../state.js";
import { nodeOf } from "./cluster.js";

export const GiB = 1024 ** 3;
const KiB96 = 98_304;

/** `rpool` of `size` bytes with `rpool/ROOT/pve-1` (system, `systemBytes`) and an empty `rpool/data`. */
export function addRpool(state: LabState, node: string, size: number, systemBytes = 4 * GiB): void {
  const n = nodeOf(state, node);
  const created = n.bootTime - 30 * 86_400;
  const fs = (name: string, referenced: number): LabZfsDataset => ({
    name,
    type: "filesystem",
    guid: newGuid(node, name),
    creation: created,
    referenced,
    volsize: null,
    written: 0,
    snapshots: [],
  });
  n.zfs.pools.push({ name: "rpool", size, health: "ONLINE" });
  n.zfs.datasets.push(
    fs("rpool", KiB96),
    fs("rpool/ROOT", KiB96),
    fs("rpool/ROOT/pve-1", systemBytes),
    fs("rpool/data", KiB96),
  );
}

export interface ZvolSpec {
  name: string;
  volsize: number;
  referenced: number;
  creation: number;
  written?: number;
  /** Snapshots, oldest first; `guid` makes the same snapshot on two nodes (a replica). */
  snapshots?: Array<Omit<LabZfsSnapshot, "used"> & { used?: number }>;
}

export function addZvol(state: LabState, node: string, spec: ZvolSpec): LabZfsDataset {
  const d: LabZfsDataset = {
    name: spec.name,
    type: "volume",
    guid: newGuid(node, spec.name, spec.creation),
    creation: spec.creation,
    referenced: spec.referenced,
    volsize: spec.volsize,
    written: spec.written ?? 0,
    snapshots: (spec.snapshots ?? []).map((s) => ({ used: 0, ...s })),
  };
  nodeOf(state, node).zfs.datasets.push(d);
  return d;
}
