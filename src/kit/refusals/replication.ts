/** Refusals about storage replication jobs and the replicas they keep on their targets. */
import { entry } from "./entry.js";

const GiB = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

export const replicationRefusals = {
  "replication-job-not-found": entry<{ job: string; known: readonly string[] }>(
    "no such replication job in /etc/pve/replication.cfg",
    ({ job, known }) => ({
      message: `No replication job '${job}' in /etc/pve/replication.cfg`,
      detail: `jobs: ${known.join(", ") || "none"}`,
    }),
  ),
  "guest-on-target": entry<{ job: string; label: string; target: string }>(
    "the guest lives on the job's target node: the copy there is the disk it runs from",
    ({ job, label, target }) => ({
      message: `${label} lives on ${target}, the target of job ${job}: the copy there is its own disk, not a replica`,
      detail: `Fix the job's direction first (a migration switches it; or \`pvesr update ${job}\`/re-create it), then look again.`,
      node: target,
    }),
  ),
  "not-divergence": entry<{ job: string; source: string; state: string }>(
    "the job fails for a reason other than diverged snapshots: setting the replica aside cannot help",
    ({ job, source, state }) => ({
      message: `Job ${job} does not fail for want of a common base snapshot`,
      detail: `\`pvesr status\` on ${source}: ${state}. Only "No common base snapshot", "volume … already exists" and "base snapshot … doesn't exist" are fixed by a full sync.`,
      node: source,
    }),
  ),
  "replica-in-use": entry<{ job: string; target: string; volid: string; users: readonly string[] }>(
    "another guest config uses the target volume: it is no mere replica",
    ({ job, target, volid, users }) => ({
      message: `${volid} on ${target} is used by ${users.join(", ")}: not only job ${job}'s replica`,
      detail: "A volume a guest config names is that guest's disk; pvefix never sets it aside.",
      node: target,
    }),
  ),
  "replica-written": entry<{ job: string; target: string; dataset: string; written: number }>(
    "the target volume has writes since its newest snapshot: replication is not its only writer",
    ({ job, target, dataset, written }) => ({
      message: `${dataset} on ${target} has ${GiB(written)} written since its newest snapshot`,
      detail: `Job ${job} only writes through \`zfs recv\`, which ends on a snapshot: something else wrote to this copy. Find out what before anything is set aside.`,
      node: target,
    }),
  ),
  "replica-newer": entry<{
    job: string;
    target: string;
    snapshot: string;
    created: string;
    reference: string;
  }>(
    "the target copy has a snapshot newer than the source's last common state: it may hold the newest data",
    ({ job, target, snapshot, created, reference }) => ({
      message: `${target} holds ${snapshot} (${created}), newer than ${reference}`,
      detail: `The copy on ${target} may be the newest version of the disk (the guest ran there?). A full sync of job ${job} would replace it with older data. Compare both sides by hand.`,
      node: target,
    }),
  ),
  "replica-no-space": entry<{ target: string; pool: string; need: number; avail: number }>(
    "the target pool cannot hold a full copy beside the one set aside",
    ({ target, pool, need, avail }) => ({
      message: `${pool} on ${target} has ${GiB(avail)} available; a full copy needs ${GiB(need)}`,
      detail:
        "The old copy stays (renamed) until it is purged, so both must fit. Free space on the target, then run again.",
      node: target,
    }),
  ),
  "ha-moving": entry<{ sid: string; state: string; node: string | null; target: string }>(
    "HA is moving the guest or has it on the target: the replica may be needed as a disk",
    ({ sid, state, node, target }) => ({
      message: `HA has ${sid} in state ${state}${node ? ` on ${node}` : ""}`,
      detail: `While HA moves or recovers the guest it may start it on ${target}; wait until ha-manager shows it started on its source node.`,
    }),
  ),
  "set-aside-gone": entry<{ dataset: string; node: string }>(
    "undo: the copy a run set aside is no longer there (purged or renamed by hand)",
    ({ dataset, node }) => ({
      message: `${dataset} is gone from ${node}: there is nothing to rename back`,
      detail: "The job's current replica is left as it is.",
      node,
    }),
  ),
  "purge-not-confirmed": entry<{ dataset: string; typed: string | null }>(
    "purging a set-aside copy needs its exact name typed as --confirm",
    ({ dataset, typed }) => ({
      message:
        typed === null ? `Purging needs --confirm ${dataset}` : `--confirm '${typed}' is not ${dataset}`,
      detail: "Destroying a dataset cannot be undone: type its full name to confirm.",
    }),
  ),
  "purge-not-safe": entry<{ run: string; why: string; node?: string }>(
    "the run's set-aside copy cannot be purged yet (or is gone)",
    ({ run, why, node }) => ({
      message: `Nothing of run ${run} can be purged: ${why}`,
      ...(node ? { node } : {}),
    }),
  ),
};
