/**
 * Storage replication as `pvesr status` sees it: jobs from /etc/pve/replication.cfg, the guest's
 * current node as the job's source, and the next run from the job's `*\/N` minute schedule
 * (default `*\/15`) after the last sync; a run that is due shows `pending`.
 */
import type { LabState, ReplicationRun } from "../state.js";
import { guestConfigPaths } from "./pmxcfs.js";
import { REQUIRED_KEYS, readSections, writeSections } from "./section-config.js";

export interface LabReplicationJob {
  id: string;
  vmid: number;
  target: string;
  source: string | null;
  schedule: string;
  enabled: boolean;
}

export function replicationJobs(state: LabState): LabReplicationJob[] {
  return readSections(state.pve["replication.cfg"]).flatMap((s) => {
    const match = /^(\d+)-(\d+)$/.exec(s.id);
    if (s.type !== "local" || !match) return [];
    return [
      {
        id: s.id,
        vmid: Number(match[1]),
        target: s.props.target ?? "",
        source: s.props.source ?? null,
        schedule: s.props.schedule ?? "*/15",
        enabled: s.props.disable === undefined || s.props.disable === "0",
      },
    ];
  });
}

function guestsOn(state: LabState, node: string): Set<number> {
  return new Set(
    guestConfigPaths(state)
      .filter((g) => g.node === node)
      .map((g) => g.vmid),
  );
}

/**
 * What ReplicationState::job_status does to replication.cfg under its lock before `pvesr status` or
 * a scheduled run on `node` lists the jobs: a job of a guest here that targets this node was stolen
 * (the guest moved without a migration): with another node as its `source` the two are swapped, so
 * the replica there is the base again, and that target's run state starts empty; without one it is
 * skipped. Every other job of a guest here gets `source` = this node. Returns whether it wrote.
 */
export function adoptLocalJobs(state: LabState, node: string): boolean {
  const here = guestsOn(state, node);
  const sections = readSections(state.pve["replication.cfg"]);
  let changed = false;
  for (const s of sections) {
    const vmid = Number(/^(\d+)-\d+$/.exec(s.id)?.[1]);
    if (s.type !== "local" || !here.has(vmid) || s.props.remove_job !== undefined) continue;
    const { target, source } = s.props;
    if (target === node) {
      if (source === undefined || source === node) continue;
      s.props.target = source;
      delete state.replication[s.id];
    } else if (source === node) continue;
    s.props.source = node;
    changed = true;
  }
  if (changed) state.pve["replication.cfg"] = writeSections(sections, REQUIRED_KEYS);
  return changed;
}

/**
 * Jobs whose guest currently lives on `node`, ordered like pvesr (by VMID, then job id); a job that
 * targets `node` itself is never synced, so pvesr does not list it.
 */
export function localJobs(state: LabState, node: string): LabReplicationJob[] {
  const here = guestsOn(state, node);
  return replicationJobs(state)
    .filter((j) => here.has(j.vmid) && j.target !== node)
    .sort((a, b) => a.vmid - b.vmid || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function lastRun(state: LabState, id: string): ReplicationRun {
  return state.replication[id] ?? { lastSync: null, duration: null, failCount: 0, error: null };
}

/** Epoch seconds of the next scheduled run after `after`. */
export function nextRun(schedule: string, after: number): number {
  const every = /^\*\/(\d+)$/.exec(schedule);
  const minutes = every ? Number(every[1]) : 15;
  const step = Math.max(1, minutes) * 60;
  return (Math.floor(after / step) + 1) * step;
}
