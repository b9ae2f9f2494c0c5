/**
 * Storage replication as `pvesr status` sees it: jobs from /etc/pve/replication.cfg, the guest's
 * current node as the job's source, and the next run from the job's `*\/N` minute schedule
 * (default `*\/15`) after the last sync; a run that is due shows `pending`.
 */
import type { LabState, ReplicationRun } from "../state.js";
import { guestConfigPaths } from "./pmxcfs.js";
import { readSections } from "./section-config.js";

export interface LabReplicationJob {
  id: string;
  vmid: number;
  target: string;
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
        schedule: s.props.schedule ?? "*/15",
        enabled: s.props.disable === undefined || s.props.disable === "0",
      },
    ];
  });
}

/** Jobs whose guest currently lives on `node`, ordered like pvesr (by VMID, then job id). */
export function localJobs(state: LabState, node: string): LabReplicationJob[] {
  const here = new Set(
    guestConfigPaths(state)
      .filter((g) => g.node === node)
      .map((g) => g.vmid),
  );
  return replicationJobs(state)
    .filter((j) => here.has(j.vmid))
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
