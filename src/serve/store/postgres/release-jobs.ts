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
 * Unlock the pools' queues and jobs. A job whose run started (its `run-start` is in
 * PostgreSQL, and so is every step's start before its command) is failed for good: only the
 * takeover may act on that run. A job no run of which started sent nothing to a node, so it is
 * given back to the queue for one more attempt, and the alert is not lost. Only for pools that
 * are dead (their process killed or cut off for good): a live pool's running job would lose its
 * lock.
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
    const started = await c.query<{ id: string }>(
      `SELECT DISTINCT start->'trigger'->'job'->>'id' AS id FROM pvefix_runs
        WHERE start->'trigger'->'job'->>'id' = ANY($1::text[])`,
      [held.rows.map((r) => r.id)],
    );
    const ran = new Set(started.rows.map((r) => r.id));
    const ids = held.rows.map((r) => r.id).filter((id) => ran.has(id));
    const again = held.rows.map((r) => r.id).filter((id) => !ran.has(id));
    if (ids.length > 0)
      await c.query(`SELECT id FROM ${JOB_SCHEMA}.permanently_fail_jobs($1::bigint[], $2::text)`, [
        ids,
        reason,
      ]);
    // graphile-worker counted the attempt when the dead pool took the job: one more is allowed.
    if (again.length > 0)
      await c.query(
        `UPDATE ${JOB_SCHEMA}._private_jobs SET max_attempts = attempts + 1, run_at = now()
          WHERE id = ANY($1::bigint[]) AND locked_by IS NULL`,
        [again],
      );
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

/**
 * Workers that stopped beating for `takeoverMs` with no run left open: killed after a run's
 * `run-end` reached PostgreSQL but before graphile-worker marked its job complete (the job
 * awaits the run's notification), or between runs. The takeover never claims one of their runs,
 * so without this their held job and its cluster's queue stay locked for graphile-worker's 4
 * hours. Each is marked dead (as the takeover does: a late worker that comes back sends nothing
 * more) and its pool (on its row since the pool started, and named by its runs) is released.
 */
export async function releaseSilentWorkers(
  db: Db,
  o: { workerId: string; takeoverMs: number; ownPool: string | null },
): Promise<Array<{ deadWorkerId: string; pools: string[]; jobs: ReleasedJob[] }>> {
  const found = await transaction(db, async (c) => {
    const dead = await c.query<{ worker_id: string }>(
      `SELECT w.worker_id FROM pvefix_workers w
        WHERE w.worker_id <> $1 AND w.state <> 'stopped'
          AND (w.state = 'dead' OR w.beat_at < now() - make_interval(secs => $2 / 1000.0))
          AND NOT EXISTS (SELECT 1 FROM pvefix_runs r WHERE r.worker_id = w.worker_id AND NOT r.ended)
        FOR UPDATE OF w SKIP LOCKED`,
      [o.workerId, o.takeoverMs],
    );
    const ids = dead.rows.map((r) => r.worker_id);
    if (ids.length === 0) return [];
    await c.query("UPDATE pvefix_workers SET state = 'dead' WHERE worker_id = ANY($1) AND state = 'alive'", [
      ids,
    ]);
    const pools = await c.query<{ worker_id: string; pool: string }>(
      `SELECT r.worker_id, r.start->'trigger'->'job'->>'pool' AS pool FROM pvefix_runs r
        WHERE r.worker_id = ANY($1) AND r.start->'trigger'->'job'->>'pool' IS NOT NULL
       UNION
       SELECT w.worker_id, w.pool FROM pvefix_workers w WHERE w.worker_id = ANY($1) AND w.pool IS NOT NULL`,
      [ids],
    );
    // Only pools that still hold a job: the common case (nothing held) costs no second transaction.
    const held = await c.query<{ locked_by: string }>(
      `SELECT DISTINCT locked_by FROM ${JOB_SCHEMA}.jobs WHERE locked_by = ANY($1)`,
      [pools.rows.map((p) => p.pool)],
    );
    const holding = new Set(held.rows.map((h) => h.locked_by));
    return pools.rows.filter((p) => holding.has(p.pool) && p.pool !== o.ownPool);
  });
  const out: Array<{ deadWorkerId: string; pools: string[]; jobs: ReleasedJob[] }> = [];
  for (const p of found) {
    const jobs = await releaseDeadPools(
      db,
      [p.pool],
      `worker ${p.worker_id} died with no run open; its job was not run again`,
    );
    out.push({ deadWorkerId: p.worker_id, pools: [p.pool], jobs });
  }
  return out;
}
