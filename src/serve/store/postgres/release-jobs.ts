/**
 * A dead worker's jobs, for the takeover. graphile-worker keeps a crashed pool's jobs (and its
 * cluster's queue) locked for 4 hours; the takeover (src/serve/store/postgres/takeover*.ts)
 * decides much sooner, from heartbeats, that a worker is dead and what to do with its run. Then
 * this releases that worker's graphile-worker pool: its queues unlocked (the cluster's next job
 * may start) and its jobs marked permanently failed with the reason, never run again — the
 * takeover, reading the journal, is the only one that may act on the interrupted run.
 *
 * `force_unlock_workers` and `permanently_fail_jobs` are the SQL functions graphile-worker's
 * WorkerUtils.forceUnlockWorkers and .permanentlyFailJobs call; here they run in one
 * transaction, so no other worker can take a job between the unlock and the failing.
 */
import { type Db, transaction } from "./db.js";
import { JOB_SCHEMA } from "./graphile-schema.js";

export interface ReleasedJob {
  id: string;
  task: string;
  key: string | null;
  queue: string | null;
}

/**
 * Unlock the pools' queues and jobs and fail their jobs for good. Only for pools that are dead
 * (their process killed or cut off for good): a live pool's running job would lose its lock.
 */
export async function releaseDeadPools(
  db: Db,
  pools: readonly string[],
  reason: string,
): Promise<ReleasedJob[]> {
  if (pools.length === 0) return [];
  return transaction(db, async (c) => {
    const held = await c.query<{
      id: string;
      task_identifier: string;
      key: string | null;
      queue_name: string | null;
    }>(
      `SELECT id::text AS id, task_identifier, key, queue_name FROM ${JOB_SCHEMA}.jobs
        WHERE locked_by = ANY($1) ORDER BY id`,
      [pools],
    );
    await c.query(`SELECT ${JOB_SCHEMA}.force_unlock_workers($1::text[])`, [pools]);
    const ids = held.rows.map((r) => r.id);
    if (ids.length > 0)
      await c.query(`SELECT id FROM ${JOB_SCHEMA}.permanently_fail_jobs($1::bigint[], $2::text)`, [
        ids,
        reason,
      ]);
    return held.rows.map((r) => ({ id: r.id, task: r.task_identifier, key: r.key, queue: r.queue_name }));
  });
}

/**
 * The graphile-worker pool that ran a run, from the run's trigger as its journal's `run-start`
 * has it: the pool the job recorded (`trigger.job.pool`), else the pool that holds the run's
 * job by its key (`run|<key>` for an alert's run, `apply|<id>` for an approved plan).
 */
export async function poolsOfRun(db: Db, trigger: Record<string, unknown>): Promise<string[]> {
  const job = trigger.job as { engine?: unknown; pool?: unknown } | undefined;
  if (job?.engine === "graphile-worker" && typeof job.pool === "string") return [job.pool];
  const keys: string[] = [];
  if (typeof trigger.key === "string") keys.push(`run|${trigger.key}`);
  if (typeof trigger.approval === "string") keys.push(`apply|${trigger.approval}`);
  if (keys.length === 0) return [];
  const r = await transaction(db, (c) =>
    c.query<{ locked_by: string }>(
      `SELECT DISTINCT locked_by FROM ${JOB_SCHEMA}.jobs WHERE key = ANY($1) AND locked_by IS NOT NULL`,
      [keys],
    ),
  );
  return r.rows.map((row) => row.locked_by);
}

/** What the takeover hook needs to find a run's trigger; the journal in PostgreSQL provides it. */
export interface RunTriggers {
  triggerOf(runId: string): Promise<Record<string, unknown> | null>;
}

/**
 * The function to wire to the takeover's `onTakenOver(deadWorkerId, runId)`: release the
 * graphile-worker pool that ran the taken-over run. Idempotent: a second call (another run of
 * the same dead worker) finds nothing locked and releases nothing.
 */
export function releaseOnTakeover(o: {
  db: Db;
  runs: RunTriggers;
  /** This worker's own pool: never released by itself. */
  ownPool: () => string | null;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}): (deadWorkerId: string, runId: string) => Promise<ReleasedJob[]> {
  return async (deadWorkerId, runId) => {
    const trigger = await o.runs.triggerOf(runId);
    if (!trigger) return [];
    const pools = (await poolsOfRun(o.db, trigger)).filter((p) => p !== o.ownPool());
    const released = await releaseDeadPools(
      o.db,
      pools,
      `worker ${deadWorkerId} died; run ${runId} was taken over: not run again`,
    );
    if (released.length > 0)
      o.log?.("released a dead worker's jobs", { deadWorkerId, runId, pools, jobs: released });
    return released;
  };
}
