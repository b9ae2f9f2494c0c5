/**
 * Steps of zfs-replication-divergence: set a diverged replica aside with `zfs rename` (never
 * destroy it), let the job do a full sync (`pvesr schedule-now`), and — separately, on request —
 * destroy a copy an earlier run set aside.
 *
 * The set-aside name is `<pool>/pvefix-<guid>-<vol>`, not `<pool>/<vol>-pvefix-…`: PVE's
 * `pvesr prepare-local-job` on the target destroys as stale every `vm-<vmid>-…` volume of the
 * storage that the job no longer sends and that carries one of its replication snapshots
 * (pve-manager PVE/CLI/pvesr.pm; ZFSPoolPlugin lists only `(vm|base|subvol|basevol)-<vmid>-*`
 * children), so a name that still starts with `vm-<vmid>-` would be deleted by the very run we
 * trigger. The dataset's guid names exactly the copy that was set aside; the journal of the run
 * holds the rename for `--purge-renamed <run>`.
 */
import { z } from "zod";
import type { StepInput } from "../../engine/model.js";
import { defineCheck } from "../../kit/check.js";
import { defineStep } from "../../kit/step.js";
import { sh } from "../../shell/quote.js";
import { parsePvesrStatus, pvesrTimestamp } from "../parsers/pvesr-status.js";
import { PVE_TOOL } from "../probes/pve-tools.js";

const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(0);

/**
 * Sizes rounded up to 8 GiB: a plan saved now must still be the plan made at apply time, while
 * the guest keeps writing to its disk.
 */
export function roughly(bytes: number): number {
  const unit = 8 * 1024 ** 3;
  return Math.max(1, Math.ceil(bytes / unit)) * unit;
}

export function setAsideName(dataset: string, guid: string, suffix = ""): string {
  const slash = dataset.lastIndexOf("/");
  return `${dataset.slice(0, slash)}/pvefix-${guid}${suffix}-${dataset.slice(slash + 1)}`;
}

/** `zfs list` fails with this when a dataset is absent: the only way to tell "gone" from "broken". */
const absent = (name: string) => sh`zfs list -H -o name ${name} 2>&1 | grep -q 'dataset does not exist'`;

/** The old copy is at `to`, and nothing is at `from`. */
export const zfsSetAside = defineCheck(
  "zfs-set-aside",
  z.object({ from: z.string(), to: z.string() }),
  async (ctx, node, { from, to }) => {
    const [old, gone] = await Promise.all([
      ctx.run(node, sh`zfs list -H -o name ${to}`, { fresh: true }),
      ctx.run(node, absent(from), { fresh: true }),
    ]);
    const ok = old.exitCode === 0 && gone.exitCode === 0;
    return {
      ok,
      detail: ok ? `${from} is now ${to}` : `${to}: ${old.stderr.trim() || "present"}; ${from} still there`,
    };
  },
);

/** The job's last sync is newer than `before` and it has no failure: a run after the trigger succeeded. */
export const replicationSynced = defineCheck(
  "replication-synced",
  z.object({ job: z.string(), before: z.string().nullable() }),
  async (ctx, node, { job, before }) => {
    const result = await ctx.run(node, "pvesr status", { ...PVE_TOOL, fresh: true });
    const row = parsePvesrStatus(result.exitCode === 0 ? result.stdout : "").find((r) => r.jobId === job);
    if (!row) return { ok: false, detail: `pvesr status on ${node} does not list job ${job}` };
    const newer = row.lastSyncAt !== null && (before === null || row.lastSyncAt > before);
    const ok = newer && row.failCount === 0 && row.stateKind === "ok";
    const last = row.lastSync ?? "never";
    return {
      ok,
      detail: `job ${job}: last sync ${last}, ${row.failCount} failures, state ${row.state.split("\n")[0]}`,
    };
  },
);

export interface SetAsideOptions {
  node: string;
  dataset: string;
  guid: string;
  volid: string;
  job: string;
  reason: string;
  warning: string;
}

export const setAsideReplicaStep = defineStep(
  {
    changes: [
      "`zfs rename <pool>/<vol> <pool>/pvefix-<guid>-<vol>` on the target: the diverged replica is set aside, not destroyed",
    ],
    undoes: [
      "`zfs rename` of a replica the resync made to `<pool>/pvefix-<guid>-resync-<vol>` (if there is one), then `zfs rename` of the old copy back to `<pool>/<vol>`",
    ],
    checks: [zfsSetAside],
  },
  (o: SetAsideOptions): StepInput => {
    const to = setAsideName(o.dataset, o.guid);
    const fresh = setAsideName(o.dataset, o.guid, "-resync");
    const absentOrOld = `${absent(o.dataset)} || ${sh`zfs list -H -p -o guid ${o.dataset} | grep -qx ${o.guid}`}`;
    return {
      id: `set-aside-${o.dataset
        .slice(o.dataset.lastIndexOf("/") + 1)
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, "-")}`,
      title: `Set aside the diverged replica ${o.dataset} on ${o.node} as ${to}`,
      node: o.node,
      risk: "dangerous",
      reason: o.reason,
      warning: o.warning,
      actions: [{ kind: "exec", command: sh`zfs rename ${o.dataset} ${to}`, skipIf: absent(o.dataset) }],
      undo: {
        kind: "actions",
        description: `rename ${to} back to ${o.dataset} (a copy the resync made there moves to ${fresh})`,
        actions: [
          // Only a copy the resync made moves: never the old one, if the rename itself never ran.
          { kind: "exec", command: sh`zfs rename ${o.dataset} ${fresh}`, skipIf: absentOrOld },
          { kind: "exec", command: sh`zfs rename ${to} ${o.dataset}`, skipIf: absent(to) },
        ],
      },
      verify: [zfsSetAside.at(o.node, `${to} holds the old copy of ${o.volid}`, { from: o.dataset, to })],
    };
  },
);

/**
 * How long to wait for the full sync: pvescheduler starts it within a minute, then the stream
 * goes at the job's rate limit, or at an assumed 20 MB/s (slow links, busy pools) without one;
 * never more than six hours.
 */
export function resyncWaitMs(bytes: number, rateMBps: number | null): number {
  const sending = (bytes / ((rateMBps ?? 20) * 1_000_000)) * 1000;
  return Math.min(6 * 3_600_000, Math.ceil(120_000 + sending));
}

export const resyncStep = defineStep(
  {
    changes: ["`pvesr schedule-now <job>` on the guest's node: the job runs within a minute, as a full sync"],
    undoes: [
      "nothing: the trigger only moved the job's next run forward (the rename's undo puts the old copy back)",
    ],
    checks: [replicationSynced],
  },
  (o: {
    node: string;
    job: string;
    target: string;
    lastSync: string | null;
    bytes: number;
    rate: number | null;
  }): StepInput => ({
    id: "resync",
    title: `Run job ${o.job} now (a full sync to ${o.target})`,
    node: o.node,
    risk: "guarded",
    reason: `with no copy on ${o.target}, the job's next run sends the whole disk (up to ${gib(roughly(o.bytes))} GiB)`,
    actions: [{ kind: "exec", command: sh`pvesr schedule-now ${o.job}` }],
    undo: {
      kind: "none",
      reason: "the trigger changes nothing that stays; the job runs on its schedule anyway",
    },
    verify: [
      replicationSynced.at(
        o.node,
        `job ${o.job} synced after the trigger with no failure`,
        { job: o.job, before: pvesrTimestamp(o.lastSync) },
        { waitMs: resyncWaitMs(roughly(o.bytes), o.rate) },
      ),
    ],
  }),
);

export const purgeSetAsideStep = defineStep(
  {
    changes: [
      "purge mode only: `zfs destroy -r <pool>/pvefix-<guid>-<vol>` on the target, after its name was typed",
    ],
    undoes: ["nothing: a destroyed dataset is gone (the purge is irreversible and never unattended)"],
  },
  (o: { node: string; dataset: string; run: string; why: string }): StepInput => ({
    id: "purge-set-aside",
    title: `Destroy ${o.dataset} on ${o.node}, left by run ${o.run}`,
    node: o.node,
    risk: "dangerous",
    reason: o.why,
    warning: `${o.dataset} and its snapshots are destroyed for good.`,
    actions: [{ kind: "exec", command: sh`zfs destroy -r ${o.dataset}` }],
    undo: { kind: "irreversible", reason: "zfs destroy frees the blocks; nothing can bring the copy back" },
  }),
);
