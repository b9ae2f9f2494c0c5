/**
 * One `pvefix serve --database` worker's part in the fleet: its row in `pvefix_workers`, beaten
 * every `heartbeatMs` (and by every journal write), the mirror that copies its journals to
 * PostgreSQL, the engine wired to read every worker's runs, and the takeover loop that handles
 * runs of workers that stopped beating for `takeoverMs`. Nothing here changes the embedded default.
 */
import * as os from "node:os";
import { EngineError, runbookById, undoRun } from "../../index.js";
import type { RunSource } from "../http/page/routes.js";
import type { Logger } from "../log.js";
import { Notifier } from "../notify/webhook.js";
import { finish } from "../policy/policy.js";
import { engineRemediator, type Remediator } from "../remediator.js";
import type { RulesFile } from "../rules/schema.js";
import type { ClusterDirectory } from "../service.js";
import { clusterLockedRemediator, withClusterLock } from "../store/postgres/cluster-lock.js";
import { type Db, transaction } from "../store/postgres/db.js";
import {
  listPgRuns,
  loadRunJournals,
  newWriterId,
  PgJournalMirror,
  readPgJournal,
  WorkerRevokedError,
} from "../store/postgres/journal.js";
import { releaseOnTakeover, releaseSilentWorkers } from "../store/postgres/release-jobs.js";
import type { ServeStores } from "../store/types.js";
import { Takeover } from "./takeover.js";

export interface FleetOptions {
  db: Db;
  stateDir: string;
  stores: ServeStores;
  clusters: ClusterDirectory;
  rules: RulesFile;
  logger: Logger;
  /** @default 5000 */
  heartbeatMs?: number;
  /** A run whose worker has not beaten for this long is taken over. @default 30000 */
  takeoverMs?: number;
  /**
   * The job engine's side (graphile-worker): a run taken over also releases the job the dead
   * worker held, so its cluster's queue moves on and the job is never run again.
   */
  jobs?: {
    ownPool(): string | null;
    /** Take no more jobs (a worker declared dead); the running ones end as they would. */
    stopTaking(): Promise<unknown>;
    /** Called with the job engine's pool id once it exists, before the pool runs any job. */
    onPool(record: (pool: string) => Promise<void>): void;
  };
}

export interface Fleet {
  workerId: string;
  mirror: PgJournalMirror;
  /** The engine for this worker: cluster-locked, its journals mirrored, other runs read from the database. */
  remediator: Remediator;
  takeover: Takeover;
  /** Every worker's runs, for the approval page. */
  runs: RunSource;
  /** Throws once this worker was declared dead (its /healthz answers 503: restart it). */
  assertAlive(): void;
  /** Stop beating and taking over; the worker's row says it stopped (its open runs stay takeover-able). */
  stop(): Promise<void>;
}

/**
 * Whether this worker may take others' runs over: only after it has beaten without a gap for a
 * whole takeover period. When the database itself was away every worker's beat is late; the
 * first to get back must not take over the runs of workers that are alive and about to beat
 * again (and to copy the ends their runs reached while the database was away).
 */
export class BeatHealth {
  private healthySince: number | null;

  constructor(now: number) {
    this.healthySince = now;
  }

  /** A beat reached the database; true when it is the first after a failure. */
  beat(now: number): boolean {
    if (this.healthySince !== null) return false;
    this.healthySince = now;
    return true;
  }

  /** A beat failed; true when it is the first failure. */
  fail(): boolean {
    const first = this.healthySince !== null;
    this.healthySince = null;
    return first;
  }

  mayTakeOver(now: number, takeoverMs: number): boolean {
    return this.healthySince !== null && now - this.healthySince >= takeoverMs;
  }
}

export function fleetRemediator(o: { db: Db; stateDir: string; mirror: PgJournalMirror }): Remediator {
  const inner = clusterLockedRemediator(
    engineRemediator(o.stateDir, (cluster, runId) =>
      loadRunJournals(o.db, { stateDir: o.stateDir, mirror: o.mirror, cluster, ...(runId ? { runId } : {}) }),
    ),
    o.db,
  );
  // A worker declared dead starts nothing (its runs are another worker's now). Coded as a busy
  // cluster, the service counts no attempt and a later alert (to a live worker) tries again.
  const alive = () => {
    if (o.mirror.isRevoked) {
      throw new EngineError(
        "PVEFIX_LOCKED",
        "This worker was declared dead by another worker (its heartbeat was late); it starts nothing more",
        "restart it: it joins again as a new worker",
      );
    }
  };
  return {
    ...inner,
    run: async (r) => {
      alive();
      return inner.run(r);
    },
    apply: async (r) => {
      alive();
      return inner.apply(r);
    },
    undo: async (r) => {
      alive();
      return inner.undo(r);
    },
  };
}
/** Who started a run, from its run-start in PostgreSQL (a graphile job's id and pool among it). */
async function runTrigger(db: Db, runId: string): Promise<Record<string, unknown> | null> {
  const start = (await readPgJournal(db, runId)).find((e) => e.type === "run-start");
  return start?.type === "run-start" ? (start.trigger ?? null) : null;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const heartbeatMs = o.heartbeatMs ?? 5_000;
  const takeoverMs = o.takeoverMs ?? 30_000;
  const workerId = newWriterId("worker");
  await transaction(o.db, (c) =>
    c.query("INSERT INTO pvefix_workers (worker_id, host, pid, takeover_ms) VALUES ($1, $2, $3, $4)", [
      workerId,
      os.hostname(),
      process.pid,
      takeoverMs,
    ]),
  );
  const mirror = new PgJournalMirror(o.db, workerId, workerId, Math.min(2_000, heartbeatMs));
  const remediator = fleetRemediator({ db: o.db, stateDir: o.stateDir, mirror });
  const notifier = new Notifier(o.rules.notify, undefined, (ok, target, error) => {
    if (!ok) o.logger.log("warn", "notification not delivered", { target, error });
  });
  const takeover = new Takeover({
    db: o.db,
    workerId,
    takeoverMs,
    clusters: () => o.clusters.names(),
    undo: async ({ runId, cluster, trigger }) => {
      const target = await o.clusters.open(cluster);
      try {
        return await withClusterLock(o.db, cluster, async () =>
          undoRun({
            ...target,
            stateDir: o.stateDir,
            runId,
            runbookFor: runbookById,
            mode: "unattended",
            gate: async (r) => ({
              approved: false,
              answer: `unattended: step ${r.step.id} is ${r.step.risk}`,
            }),
            trigger,
            journals: await loadRunJournals(o.db, { stateDir: o.stateDir, mirror, cluster, runId }),
          }),
        );
      } finally {
        await target.transport.close();
      }
    },
    finished: async (key, outcome, runId) => {
      await o.stores.policy.update((s) => ({ state: finish(s, key, outcome, runId), result: null }));
    },
    notify: (n) => notifier.notify(n),
    logger: o.logger,
  });
  // Declared dead, a worker takes no more jobs: they would reach its remediator only to be
  // refused and dropped, while a live worker would run them. Its HTTP side still takes alerts
  // (the queue is in PostgreSQL) but says it is unhealthy, so it gets restarted.
  mirror.onRevoked.push(() => {
    o.logger.log(
      "error",
      "this worker was declared dead by another worker: it takes no more jobs; restart it",
      {
        workerId,
      },
    );
    o.jobs?.stopTaking().catch(() => undefined);
  });
  if (o.jobs) {
    // The pool on the worker's row: a worker killed holding a job before its run started is
    // then found by releaseSilentWorkers, its job run again and its cluster's queue freed.
    o.jobs.onPool(async (pool) => {
      await transaction(o.db, (c) =>
        c.query("UPDATE pvefix_workers SET pool = $2 WHERE worker_id = $1", [workerId, pool]),
      );
    });
    const ownPool = o.jobs.ownPool;
    const release = releaseOnTakeover({
      db: o.db,
      runs: { triggerOf: (runId) => runTrigger(o.db, runId) },
      ownPool,
      log: (msg, fields) => o.logger.log("info", msg, fields),
    });
    takeover.onTakenOver.push(async (deadWorkerId, runId) => {
      await release(deadWorkerId, runId);
    });
  }
  const health = new BeatHealth(Date.now());
  const beat = setInterval(() => {
    mirror.flush().then(
      () => {
        if (health.beat(Date.now())) o.logger.log("info", "heartbeat written again", { workerId });
      },
      (error: unknown) => {
        if (health.fail())
          o.logger.log("error", "heartbeat failed", { workerId, error: (error as Error).message });
      },
    );
  }, heartbeatMs);
  const jobs = o.jobs;
  const look = setInterval(() => {
    if (!health.mayTakeOver(Date.now(), takeoverMs)) return;
    takeover
      .once()
      // A dead worker with no run open (killed after its run's end, before its job was marked
      // complete) is no run to take over, but may still hold its cluster's queue.
      .then(() =>
        jobs
          ? releaseSilentWorkers(o.db, { workerId, takeoverMs, ownPool: jobs.ownPool() }).then((released) => {
              for (const r of released)
                if (r.jobs.length > 0) o.logger.log("info", "released a dead worker's jobs", { ...r });
            })
          : undefined,
      )
      .catch((error: unknown) =>
        o.logger.log("error", "takeover pass failed", { error: (error as Error).message }),
      );
  }, heartbeatMs);
  o.logger.log("info", "fleet worker", { workerId, heartbeatMs, takeoverMs });
  return {
    workerId,
    mirror,
    remediator,
    takeover,
    runs: { list: () => listPgRuns(o.db), entries: (runId) => readPgJournal(o.db, runId) },
    assertAlive() {
      if (mirror.isRevoked) throw new WorkerRevokedError(workerId);
    },
    async stop() {
      clearInterval(beat);
      clearInterval(look);
      await mirror.close();
      await transaction(o.db, (c) =>
        c.query("UPDATE pvefix_workers SET state = 'stopped' WHERE worker_id = $1 AND state = 'alive'", [
          workerId,
        ]),
      ).catch(() => undefined);
    },
  };
}
