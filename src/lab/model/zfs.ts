/**
 * ZFS on one lab node: datasets with their snapshots, the space they take from their pool, and
 * the volume ids PVE's zfspool storages see in them. Space follows OpenZFS's accounting closely
 * enough for what PVE and pvefix read: a dataset's `used` is what it references plus what its
 * snapshots hold plus its children; `avail` is the pool's size minus everything allocated minus
 * the slop space the pool keeps back (spa_slop_shift = 5: 1/32 of the pool).
 */
import { createHash } from "node:crypto";
import type { LabNode, LabState, LabZfsDataset, LabZfsSnapshot, LabZpool } from "../state.js";
import { readStorageCfg } from "./storage.js";

export const DOES_NOT_EXIST = (name: string) => `cannot open '${name}': dataset does not exist`;

export function poolOf(name: string): string {
  return name.split(/[/@]/)[0] ?? name;
}

export function findDataset(node: LabNode, name: string): LabZfsDataset | undefined {
  return node.zfs.datasets.find((d) => d.name === name);
}

export function findPool(node: LabNode, name: string): LabZpool | undefined {
  return node.zfs.pools.find((p) => p.name === name);
}

/** Direct and indirect children of `name` (not `name` itself), in name order. */
export function descendants(node: LabNode, name: string): LabZfsDataset[] {
  return node.zfs.datasets.filter((d) => d.name.startsWith(`${name}/`));
}

/** What the dataset itself holds: its data and its snapshots, without children. */
function ownUsed(d: LabZfsDataset): number {
  return d.referenced + d.snapshots.reduce((sum, s) => sum + s.used, 0);
}

export function usedOf(node: LabNode, d: LabZfsDataset): number {
  return ownUsed(d) + descendants(node, d.name).reduce((sum, c) => sum + ownUsed(c), 0);
}

/** Bytes allocated in a pool (zpool list ALLOC). */
export function allocatedIn(node: LabNode, pool: string): number {
  return node.zfs.datasets.filter((d) => poolOf(d.name) === pool).reduce((sum, d) => sum + ownUsed(d), 0);
}

/** `avail` of any dataset of the pool (no quotas or reservations are modelled). */
export function availIn(node: LabNode, pool: string): number {
  const p = findPool(node, pool);
  if (!p) return 0;
  return Math.max(0, p.size - Math.floor(p.size / 32) - allocatedIn(node, pool));
}

/** A 64-bit guid as ZFS prints it with -p, derived from what makes the object unique in the lab. */
export function newGuid(...parts: Array<string | number>): string {
  const digest = createHash("sha256").update(parts.join("\0")).digest();
  return digest.readBigUInt64BE(0).toString();
}

/** `<storeid>:<volname>` for a dataset directly under a zfspool storage's pool, as PVE lists images. */
export function volidOfDataset(state: LabState, name: string): string | null {
  for (const storage of readStorageCfg(state.pve["storage.cfg"] ?? "")) {
    if (storage.type !== "zfspool") continue;
    const pool = storage.props.pool ?? "";
    if (!name.startsWith(`${pool}/`)) continue;
    const rest = name.slice(pool.length + 1);
    // ZFSPoolPlugin zfs_parse_zvol_list: only `(vm|base|subvol|basevol)-<vmid>-<name>` children.
    if (/^(vm|base|subvol|basevol)-\d+-\S+$/.test(rest) && !rest.includes("/"))
      return `${storage.id}:${rest}`;
  }
  return null;
}

/** The dataset behind a volume id of a zfspool storage, or null for other storages. */
export function datasetOfVolid(state: LabState, volid: string): string | null {
  const [storeid = "", volname = ""] = volid.split(/:(.*)/s);
  const storage = readStorageCfg(state.pve["storage.cfg"] ?? "").find((s) => s.id === storeid);
  if (storage?.type !== "zfspool") return null;
  return `${storage.props.pool ?? "rpool/data"}/${volname}`;
}

/** Keep `LabNode.volumes` (what guest starts look at) in step with the datasets. */
function trackVolume(state: LabState, node: LabNode, name: string, present: boolean): void {
  const volid = volidOfDataset(state, name);
  if (volid === null) return;
  node.volumes = node.volumes.filter((v) => v !== volid);
  if (present) node.volumes.push(volid);
}

/** `zfs rename`: the dataset, its snapshots and its children move; guids stay. Null = done. */
export function renameDataset(state: LabState, node: LabNode, from: string, to: string): string | null {
  const d = findDataset(node, from);
  if (!d) return DOES_NOT_EXIST(from);
  if (poolOf(from) !== poolOf(to)) return `cannot rename to '${to}': datasets must be within same pool`;
  if (findDataset(node, to)) return `cannot rename to '${to}': dataset already exists`;
  const parent = to.slice(0, to.lastIndexOf("/"));
  if (!findDataset(node, parent)) return `cannot rename to '${to}': parent does not exist`;
  for (const c of [d, ...descendants(node, from)]) {
    trackVolume(state, node, c.name, false);
    c.name = to + c.name.slice(from.length);
    trackVolume(state, node, c.name, true);
  }
  return null;
}

/** `zfs destroy -r`: the dataset with its snapshots and children. */
export function destroyDataset(state: LabState, node: LabNode, name: string): void {
  const gone = new Set([name, ...descendants(node, name).map((d) => d.name)]);
  for (const n of gone) trackVolume(state, node, n, false);
  node.zfs.datasets = node.zfs.datasets.filter((d) => !gone.has(d.name));
}

export function addSnapshot(d: LabZfsDataset, name: string, creation: number, host: string): LabZfsSnapshot {
  const snap = { name, guid: newGuid(host, d.guid, name, creation), creation, used: d.written };
  d.snapshots.push(snap);
  d.written = 0;
  return snap;
}

/**
 * `zfs send -Rp ... | zfs recv -F` on `target`: a full stream creates the dataset with every
 * snapshot of the source (same guids and creation times, a new dataset guid); an incremental one
 * (`-I base`) adds the newer snapshots, and -R with -F drops target snapshots the source no longer has.
 */
export function receiveStream(
  state: LabState,
  target: LabNode,
  source: LabZfsDataset,
  name: string,
  creation: number,
): void {
  const copy = (s: LabZfsSnapshot) => ({ ...s });
  const existing = findDataset(target, name);
  if (existing) {
    existing.snapshots = source.snapshots.map(copy);
    existing.referenced = source.referenced;
    existing.written = 0;
    return;
  }
  target.zfs.datasets.push({
    name,
    type: source.type,
    guid: newGuid(target.name, name, creation),
    creation,
    referenced: source.referenced,
    volsize: source.volsize,
    written: 0,
    snapshots: source.snapshots.map(copy),
  });
  target.zfs.datasets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  trackVolume(state, target, name, true);
}
