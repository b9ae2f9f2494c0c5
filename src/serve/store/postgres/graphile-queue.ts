/**
 * The job engine with a database: graphile-worker. Every `pvefix serve --database` process is
 * one graphile-worker pool on the same `graphile_worker` schema, so:
 *
 * - one named queue per cluster (`pvefix:<cluster>`): graphile-worker runs one job of a queue at
 *   a time across every worker — one remediation per cluster in the whole fleet;
 * - the job key (`run|<target>`, `ask|<target>`, `apply|<approval>`) in `unsafe_dedupe` mode: a
 *   job whose key waits or runs is a duplicate, as in the in-process queue (see `enqueue`);
 * - LISTEN/NOTIFY: `add_job` notifies on commit, an idle worker starts the job at once;
 * - the rules' sweeps from graphile-worker's crontab: the crontab's tick is claimed by one
 *   worker in `known_crontabs`, so a sweep runs once per tick, not once per worker;
 * - max_attempts 1: a job is never retried by the queue. Re-running a remediation's steps is
 *   the takeover's decision (the journal says what is safe), never the queue's; and the handler
 *   never throws, so a finished job is always deleted, never left failed.
 */
import { EventEmitter } from "node:events";
import type { Job as GraphileJob, JobHelpers, ParsedCronItem, Runner, TaskList } from "graphile-worker";
import type { PoolClient } from "pg";
import { ServeError } from "../../errors.js";
import { JOB_TASKS, type JobSpec, jobFromRow, rowOfJob, serialisedPerCluster } from "../../jobs.js";
import type { Logger } from "../../log.js";
import type { Enqueued, JobHandler, JobQueue } from "../../queue.js";
import type { RulesFile } from "../../rules/schema.js";
import type { StoreTx } from "../types.js";

type Sweep = RulesFile["sweeps"][number];

import { clientOf, type Db, transaction } from "./db.js";
import { JOB_SCHEMA, loadGraphileWorker, quietLogger } from "./graphile-schema.js";

/** The advisory lock that makes "is it a duplicate, is the queue full, add it" one step per cluster. */
const ENQUEUE_LOCK_CLASS = 0x70766671; // "pvfq"

/** How long graphile-worker may take to say goodbye to the database once no job runs here. */
const STOP_GRACE_MS = 10_000;

export function queueNameOf(job: Pick<JobSpec, "task" | "cluster">): string {
  return serialisedPerCluster(job.task) ? `pvefix:${job.cluster}` : `pvefix-${job.task}:${job.cluster}`;
}

/** What a job that a graphile-worker pool ran carries into its run's journal: which job, which pool. */
export interface JobRef {
  engine: "graphile-worker";
  id: string;
  pool: string | null;
}

export interface GraphileQueueOptions {
  /** The pvefix pool: enqueue transactions, depth. */
  db: Db;
  /** graphile-worker's own pool (its LISTEN connection and job fetches) connects here. */
  url: string;
  logger: Logger;
  /** Jobs waiting per cluster beyond which an alert is answered queue-full (the rules' maxQueue). */
  maxPerCluster: number;
  /** Jobs this worker runs at once (different clusters). */
  concurrency: number;
  sweeps: readonly Sweep[];
  /** How often a worker looks for jobs without a notification (a job whose NOTIFY was missed). @default 2000 */
  pollInterval?: number;
}

/**
 * A sweep's `every` as a crontab match: graphile-worker's tick is one minute, so a sweep runs on
 * the minutes of the day (UTC) that are a multiple of `every`. An `every` that does not divide a
 * day has one shorter gap at midnight.
 */
export function sweepMinutes(every: number): number | string {
  if (every < 60_000 || every % 60_000 !== 0)
    return `with --database the sweeps run from graphile-worker's crontab, whose tick is one minute: expected a whole number of minutes (1m, 5m …), got ${every} ms`;
  return every / 60_000;
}

export function sweepMatches(minutes: number, digest: { hour: number; min: number }): boolean {
  return (digest.hour * 60 + digest.min) % minutes === 0;
}

export function checkSweeps(sweeps: readonly Sweep[]): void {
  for (const [i, s] of sweeps.entries()) {
    const m = sweepMinutes(s.every);
    if (typeof m === "string") throw new ServeError("PVEFIX_SERVE_RULES", `✖ sweeps[${i}].every: ${m}`);
  }
}

export class GraphileQueue implements JobQueue {
  readonly runsSweeps = true;
  private handler: JobHandler | null = null;
  private runner: Runner | null = null;
  private closed = false;
  private stopping: Promise<void> | null = null;
  private active = 0;
  private stoppedBecause: string | null = null;
  /** This worker's graphile-worker pool id (the `locked_by` of the jobs it runs). */
  poolId: string | null = null;
  /** Told the pool's id as soon as it exists (the fleet writes it on the worker's row). */
  readonly onPool: Array<(pool: string) => Promise<void>> = [];
  private poolNamed: Promise<void> = Promise.resolve();

  constructor(private readonly o: GraphileQueueOptions) {
    checkSweeps(o.sweeps);
  }

  handle(handler: JobHandler): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    const gw = loadGraphileWorker();
    const events = new EventEmitter() as NonNullable<Parameters<typeof gw.run>[0]["events"]>;
    events.on("pool:create", ({ workerPool }) => {
      this.poolId = workerPool.id;
      const id = workerPool.id;
      this.poolNamed = Promise.all(this.onPool.map((fn) => fn(id))).then(
        () => undefined,
        (error: unknown) =>
          this.o.logger.log("warn", "job queue: could not record its pool", { error: String(error) }),
      );
    });
    events.on("pool:listen:error", ({ error }) =>
      this.o.logger.log("warn", "job queue: lost its LISTEN connection", { error: String(error) }),
    );
    const cronItems: ParsedCronItem[] = gw.parseCronItems(
      this.o.sweeps.map((s) => {
        const minutes = sweepMinutes(s.every) as number;
        const job: JobSpec = {
          task: "sweep",
          cluster: s.cluster,
          key: `sweep|${s.cluster}`,
          payload: { cluster: s.cluster },
        };
        return {
          task: "sweep",
          identifier: `pvefix-sweep:${s.cluster}:${minutes}m`,
          match: (digest) => sweepMatches(minutes, digest),
          payload: rowOfJob(job) as Record<string, unknown>,
          options: {
            // A missed tick (every worker down) is not made up: the next tick sweeps anyway.
            backfillPeriod: 0,
            maxAttempts: 1,
            queueName: queueNameOf(job),
            jobKey: job.key,
            jobKeyMode: "replace",
          },
        };
      }),
    );
    const tasks: TaskList = {};
    for (const task of JOB_TASKS) tasks[task] = (payload, helpers) => this.perform(task, payload, helpers);
    this.runner = await gw.run({
      connectionString: this.o.url,
      schema: JOB_SCHEMA,
      concurrency: this.o.concurrency,
      maxPoolSize: this.o.concurrency + 2,
      pollInterval: this.o.pollInterval ?? 2_000,
      noHandleSignals: true,
      taskList: tasks,
      parsedCronItems: cronItems,
      logger: quietLogger(gw, (level, message) => this.o.logger.log(level, `job queue: ${message}`)),
      events,
      // Without batching, graphile-worker marks a job done without awaiting it, and a graceful
      // shutdown can close its pool first: the finished job would stay locked for 4 hours,
      // holding its cluster. A batcher (even of 0 ms) is flushed before the pool closes.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    this.runner.promise.then(
      () => {
        if (!this.closed) this.stoppedBecause = "it stopped";
      },
      (error: unknown) => {
        this.stoppedBecause = (error as Error).message;
        // A worker whose queue died takes no jobs: /healthz says so, so an orchestrator replaces it.
        this.o.logger.log("error", "job queue stopped: this worker takes no more jobs", {
          error: this.stoppedBecause,
        });
      },
    );
    this.o.logger.log("info", "job queue started", {
      engine: "graphile-worker",
      pool: this.poolId,
      concurrency: this.o.concurrency,
      sweeps: this.o.sweeps.length,
    });
  }

  /** One graphile-worker job: back to the service's handler; it never throws (see the file's comment). */
  private async perform(task: string, payload: unknown, helpers: JobHelpers): Promise<void> {
    const ref: JobRef = {
      engine: "graphile-worker",
      id: String(helpers.job.id),
      pool: lockedBy(helpers.job),
    };
    let job: JobSpec;
    try {
      job = jobFromRow(task, payload);
    } catch (error) {
      this.o.logger.log("error", "job dropped: its payload is not a pvefix job", {
        job: ref,
        error: (error as Error).message,
      });
      return;
    }
    if (job.task === "sweep") {
      const tick = (payload as { _cron?: { ts?: string } })._cron?.ts ?? null;
      this.o.logger.log("info", "sweep tick", { cluster: job.cluster, tick, job: ref });
    }
    if (!this.handler) {
      this.o.logger.log("error", "job dropped: no handler", { key: job.key, job: ref });
      return;
    }
    this.active++;
    try {
      // The pool is on record before any run starts: a worker killed from here on is found.
      await this.poolNamed;
      await this.handler(withRef(job, ref));
    } catch (error) {
      this.o.logger.log("error", "job failed", { key: job.key, job: ref, error: (error as Error).message });
    } finally {
      this.active--;
    }
  }

  /**
   * Add a job unless one with its key waits or runs (`unsafe_dedupe`: graphile-worker's
   * `replace` would queue a second run of the same target behind a running one; Alertmanager
   * re-sends an alert that still fires, and the policy then decides). A permanently failed job
   * with the key (a dead worker's, released by the takeover) is removed first: it is history, not
   * a duplicate. One advisory transaction lock per cluster makes the check, the queue-full count
   * and the add one step across workers.
   */
  async enqueue(job: JobSpec, tx?: StoreTx): Promise<Enqueued> {
    if (this.closed) return "closed";
    const queue = queueNameOf(job);
    const inTx = clientOf(tx);
    const within = async <T>(fn: (c: PoolClient) => Promise<T>) =>
      inTx ? fn(inTx) : transaction(this.o.db, fn);
    return within(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [ENQUEUE_LOCK_CLASS, queue]);
      const same = await c.query<{ waiting_or_running: boolean }>(
        `SELECT (locked_at IS NOT NULL OR attempts < max_attempts) AS waiting_or_running
           FROM ${JOB_SCHEMA}.jobs WHERE key = $1`,
        [job.key],
      );
      if (same.rows[0]?.waiting_or_running) return "duplicate";
      if (same.rows[0]) await c.query(`SELECT ${JOB_SCHEMA}.remove_job($1)`, [job.key]);
      if (serialisedPerCluster(job.task)) {
        const waiting = await c.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${JOB_SCHEMA}.jobs
            WHERE queue_name = $1 AND locked_at IS NULL AND attempts < max_attempts`,
          [queue],
        );
        if (Number(waiting.rows[0]?.n ?? 0) >= this.o.maxPerCluster) return "full";
      }
      const added = await c.query<{ revision: number }>(
        `SELECT (j).revision FROM (SELECT ${JOB_SCHEMA}.add_job(
            identifier => $1, payload => $2::json, queue_name => $3, max_attempts => 1,
            job_key => $4, job_key_mode => 'unsafe_dedupe') AS j) AS added`,
        [job.task, JSON.stringify(rowOfJob(job)), queue, job.key],
      );
      return (added.rows[0]?.revision ?? 0) === 0 ? "queued" : "duplicate";
    });
  }

  /** The fleet's jobs waiting for their cluster: every worker reports the same number. */
  async depth(): Promise<number> {
    if (this.stoppedBecause !== null) {
      throw new ServeError(
        "PVEFIX_SERVE_DATABASE",
        `✖ This worker's job queue stopped (${this.stoppedBecause}): it takes no jobs`,
        "restart this pvefix serve",
      );
    }
    const r = await transaction(this.o.db, (c) =>
      c.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${JOB_SCHEMA}.jobs
          WHERE task_identifier = ANY($1) AND locked_at IS NULL AND attempts < max_attempts`,
        [JOB_TASKS.filter(serialisedPerCluster)],
      ),
    );
    return Number(r.rows[0]?.n ?? 0);
  }

  running(): number {
    return this.active;
  }

  /**
   * SIGTERM: take no new job; graphile-worker's graceful shutdown waits for the running ones
   * (the service has already told them to stop at their next step and roll back); the jobs this
   * worker had not started stay in the database for the other workers.
   */
  async close(): Promise<JobSpec[]> {
    this.closed = true;
    await this.stopTaking();
    return [];
  }

  /**
   * Take no more jobs, and resolve once the running ones ended; enqueueing goes on (a worker
   * declared dead still queues the alerts it accepts, for the live workers). Shared by `close`.
   */
  stopTaking(): Promise<void> {
    this.stopping ??= this.stopRunner();
    return this.stopping;
  }

  private async stopRunner(): Promise<void> {
    const stopping = this.runner
      ?.stop()
      .catch((error: unknown) =>
        this.o.logger.log("warn", "job queue: shutdown", { error: (error as Error).message }),
      );
    // The running jobs end by themselves (the engine's deadlines); graphile-worker's own goodbye
    // to a database that is gone must not hold the process past them.
    while (this.active > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      stopping,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.o.logger.log("warn", "job queue: the database did not answer the shutdown; leaving anyway");
          resolve();
        }, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Resolves when no job of any worker waits or runs (tests and the benchmark). */
  async idle(): Promise<void> {
    for (;;) {
      const r = await transaction(this.o.db, (c) =>
        c.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${JOB_SCHEMA}.jobs
            WHERE task_identifier = ANY($1) AND (locked_at IS NOT NULL OR attempts < max_attempts)`,
          [[...JOB_TASKS]],
        ),
      );
      if (Number(r.rows[0]?.n ?? 0) === 0 && this.active === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function lockedBy(job: GraphileJob): string | null {
  return (job as { locked_by?: string | null }).locked_by ?? null;
}

/** The job's graphile-worker id and pool go into the run's trigger, so its journal names them (takeover reads it). */
function withRef(job: JobSpec, ref: JobRef): JobSpec {
  if (job.task === "remediate")
    return { ...job, payload: { ...job.payload, origin: { ...job.payload.origin, job: ref } } };
  return job;
}
