/**
 * One run of a storage replication job, following pve-guest-common PVE/Replication.pm
 * (`run_replication` → `replicate` → `find_common_replication_snapshot`) and pve-manager
 * `pvesr prepare-local-job` on the target, with the log lines it writes to
 * /var/log/pve/replicate/<jobid> (`strftime("%F %H:%M:%S")` + ` <jobid>: <msg>`).
 *
 * - a volume present on both sides with a common snapshot (the last-sync one, else the newest
 *   common replication snapshot, same guid) → incremental sync;
 * - present on both sides without one → `No common base snapshot on volume(s) …` (two lines);
 * - absent on the target → full sync;
 * - on the target, a `vm-<vmid>-…` volume of the storage that the job no longer sends and that
 *   carries a replication snapshot of the job is destroyed as stale (`delete stale volume`).
 */
import type { LabNode, LabState, LabZfsDataset, ReplicationRun } from "../state.js";
import { strftime } from "./clock.js";
import { mainKeys } from "./guest-conf.js";
import { guestConfigPaths } from "./pmxcfs.js";
import { type LabReplicationJob, lastRun, replicationJobs } from "./replication.js";
import { readStorageCfg } from "./storage.js";
import { guestVolumes } from "./volumes.js";
import {
  addSnapshot,
  DOES_NOT_EXIST,
  datasetOfVolid,
  destroyDataset,
  findDataset,
  receiveStream,
} from "./zfs.js";

export const REPLICATE_LOG_DIR = "/var/log/pve/replicate";

const snapName = (job: string, epoch: number) => `__replicate_${job}_${epoch}__`;
const isJobSnapshot = (job: string, name: string) => new RegExp(`^__replicate_${job}_\\d+_?__$`).test(name);

function nodeNamed(state: LabState, name: string): LabNode | undefined {
  return state.nodes.find((n) => n.name === name);
}

/** Run job `id` now on the node its guest lives on; writes the log and the job state. */
export function runReplication(state: LabState, id: string): void {
  const job = replicationJobs(state).find((j) => j.id === id);
  const guest = guestConfigPaths(state).find((g) => g.vmid === job?.vmid);
  const source = guest && nodeNamed(state, guest.node);
  if (!job || !guest || !source) return;
  const start = state.clock;
  const lines: string[] = [];
  const log = (msg: string) => lines.push(`${strftime(start, "%Y-%m-%d %H:%M:%S")} ${id}: ${msg}`);
  const before = lastRun(state, id);
  log("start replication job");
  let run: ReplicationRun;
  const error = replicate(state, job, source, guest, start, before.lastSync ?? 0, log);
  if (error === null) {
    log("end replication job");
    run = { lastSync: start, duration: 2.4061, failCount: 0, error: null };
  } else {
    log(`end replication job with error: ${error}`);
    run = { ...before, duration: 0.8127, failCount: before.failCount + 1, error };
  }
  state.replication[id] = run;
  source.files[`${REPLICATE_LOG_DIR}/${id}`] = `${lines.join("\n")}\n`;
}

function replicate(
  state: LabState,
  job: LabReplicationJob,
  source: LabNode,
  guest: { vmid: number; type: "qemu" | "lxc"; rel: string },
  start: number,
  lastSync: number,
  log: (msg: string) => void,
): string | null {
  if (start <= lastSync) return `start time before last sync (${start} <= ${lastSync}) - abort sync`;
  const target = nodeNamed(state, job.target);
  const pid = state.guests[String(guest.vmid)]?.pid ?? 0;
  log(`guest => ${guest.type === "qemu" ? "VM" : "CT"} ${guest.vmid}, running => ${pid}`);
  const volids = guestVolumes(mainKeys(state.pve[guest.rel] ?? ""), guest.type).sort();
  log(`volumes => ${volids.join(",")}`);
  if (!target?.up) return `ssh: connect to host ${target?.ip ?? job.target} port 22: No route to host`;
  const lastName = snapName(job.id, lastSync);
  const volumes: Array<{ volid: string; dataset: string; src: LabZfsDataset }> = [];
  for (const volid of volids) {
    const dataset = datasetOfVolid(state, volid);
    if (dataset === null) return `missing replicate feature on volume '${volid}'`;
    const src = findDataset(source, dataset);
    if (!src) return `zfs error: ${DOES_NOT_EXIST(dataset)}`;
    volumes.push({ volid, dataset, src });
  }
  removeStaleVolumes(state, target, job, new Set(volumes.map((v) => v.dataset)), log);
  const missing: string[] = [];
  const bases = new Map<string, string>();
  for (const v of volumes) {
    const tgt = findDataset(target, v.dataset);
    if (!tgt) continue;
    const common = v.src.snapshots.filter((s) =>
      tgt.snapshots.some((t) => t.name === s.name && t.guid === s.guid),
    );
    const base =
      common.find((s) => s.name === lastName) ??
      common.filter((s) => isJobSnapshot(job.id, s.name)).sort((a, b) => b.creation - a.creation)[0];
    if (base) bases.set(v.volid, base.name);
    else missing.push(v.volid);
  }
  if (missing.length > 0) {
    return `No common base snapshot on volume(s) ${missing.join(",")}\nPlease remove the problematic volume(s) from the replication target or delete and re-create the whole job ${job.id}`;
  }
  const name = snapName(job.id, start);
  for (const v of volumes) {
    log(`create snapshot '${name}' on ${v.volid}`);
    addSnapshot(v.src, name, start, source.name);
  }
  log(`using secure transmission, rate limit: none`);
  for (const v of volumes) {
    const base = bases.get(v.volid);
    log(base ? `incremental sync '${v.volid}' (${base} => ${name})` : `full sync '${v.volid}' (${name})`);
    receiveStream(state, target, v.src, v.dataset, start);
  }
  for (const v of volumes) {
    if (!v.src.snapshots.some((s) => s.name === lastName)) continue;
    log(`delete previous replication snapshot '${lastName}' on ${v.volid}`);
    v.src.snapshots = v.src.snapshots.filter((s) => s.name !== lastName);
  }
  // remote_finalize_local_job: the target keeps only the new replication snapshot of the job.
  for (const v of volumes) {
    const tgt = findDataset(target, v.dataset);
    if (tgt) tgt.snapshots = tgt.snapshots.filter((s) => !isJobSnapshot(job.id, s.name) || s.name === name);
  }
  return null;
}

/** `pvesr prepare-local-job` on the target: volumes of the guest the job no longer sends. */
function removeStaleVolumes(
  state: LabState,
  target: LabNode,
  job: LabReplicationJob,
  wanted: ReadonlySet<string>,
  log: (msg: string) => void,
): void {
  for (const storage of readStorageCfg(state.pve["storage.cfg"] ?? "")) {
    if (storage.type !== "zfspool") continue;
    const pool = storage.props.pool ?? "rpool/data";
    const owned = new RegExp(
      `^${pool.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(vm|base|subvol|basevol)-${job.vmid}-[^/\\s]+$`,
    );
    for (const d of [...target.zfs.datasets]) {
      if (!owned.test(d.name) || wanted.has(d.name)) continue;
      if (!d.snapshots.some((s) => isJobSnapshot(job.id, s.name))) continue;
      log(
        `(remote_prepare_local_job) ${job.id}: delete stale volume '${storage.id}:${d.name.slice(pool.length + 1)}'`,
      );
      destroyDataset(state, target, d.name);
    }
  }
}
