/**
 * Storage replication jobs as `pvesr create-local-job` leaves them: the job in replication.cfg
 * (with `source` set by the first run), the replicated volumes on the target node, and the last
 * run's result for `pvesr status`.
 */
import { mainKeys } from "../../model/guest-conf.js";
import { confRel, type GuestType } from "../../model/guests.js";
import { REQUIRED_KEYS, readSections, writeSections } from "../../model/section-config.js";
import { guestVolumes } from "../../model/volumes.js";
import type { LabState } from "../../state.js";
import { nodeOf } from "./cluster.js";

export interface ReplicationJobSpec {
  vmid: number;
  type: GuestType;
  /** Where the guest lives (the job's `source`). */
  source: string;
  jobnum: number;
  target: string;
  /** Calendar event; PVE omits the default `*\/15`. */
  schedule?: string;
  rate?: string;
  /** Seconds since the last successful sync. @default 126 */
  syncedAgo?: number;
  duration?: number;
}

export function addReplicationJob(state: LabState, spec: ReplicationJobSpec): void {
  const id = `${spec.vmid}-${spec.jobnum}`;
  const sections = readSections(state.pve["replication.cfg"]);
  const props: Record<string, string> = { target: spec.target, source: spec.source };
  if (spec.schedule !== undefined) props.schedule = spec.schedule;
  if (spec.rate !== undefined) props.rate = spec.rate;
  sections.push({ type: "local", id, props });
  state.pve["replication.cfg"] = writeSections(sections, REQUIRED_KEYS);
  const keys = mainKeys(state.pve[confRel(spec.source, spec.type, spec.vmid)] ?? "");
  const target = nodeOf(state, spec.target);
  for (const volid of guestVolumes(keys, spec.type)) {
    if (!target.volumes.includes(volid)) target.volumes.push(volid);
  }
  state.replication[id] = {
    lastSync: state.clock - (spec.syncedAgo ?? 126),
    duration: spec.duration ?? 3.554485,
    failCount: 0,
    error: null,
  };
}
