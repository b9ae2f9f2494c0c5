/**
 * The journal of runs in PostgreSQL, for a fleet of workers: every entry of every run, in order,
 * copied from the local journal file (which stays the write-ahead record: it is written first,
 * synchronously, and works while the database does not). `flush` is the barrier the engine awaits
 * before a step's first command, so what any worker reads here is never behind what a node was
 * sent. The same transaction beats the worker's heartbeat.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PoolClient } from "pg";
import { EngineError } from "../../../engine/errors.js";
import {
  Journal,
  JournalEntry,
  type JournalEntryInput,
  type RunSummary,
  readJournal,
  runsDir,
  stampEntry,
} from "../../../engine/journal.js";
import {
  type JournalMirror,
  localRunEnded,
  localUndoAttempts,
  type RunJournals,
  undoEntriesOf,
} from "../../../engine/journal-store.js";
import { RunMode } from "../../../engine/model.js";
import { ServeError } from "../../errors.js";
import { type Db, transaction } from "./db.js";

interface Pending {
  runId: string;
  wseq: number;
  entry: JournalEntry;
}

/** Thrown by `flush` when another worker has declared this one dead and taken its runs over. */
export class WorkerRevokedError extends ServeError {
  /** Read by the engine (`runTakenOver`): stop without a rollback of its own. */
  readonly runTakenOver = true;
  constructor(workerId: string) {
    super(
      "PVEFIX_SERVE_DATABASE",
      `✖ Worker ${workerId} was declared dead by another worker (its heartbeat was late): it sends nothing more`,
    );
  }
}

export class PgJournalMirror implements JournalMirror {
  private readonly queue: Pending[] = [];
  private readonly seqs = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | null = null;
  private revoked = false;

  /** Another worker declared this one dead: it must start nothing more (its writes are refused). */
  get isRevoked(): boolean {
    return this.revoked;
  }
  /** Called once, when this worker first finds itself declared dead. */
  readonly onRevoked: Array<() => void> = [];
  /** Milliseconds since the epoch of the last write that reached the database. */
  lastOk = 0;

  constructor(
    private readonly db: Db,
    /** Unique per process: with `wseq` it makes a retried write land once. */
    readonly writer: string,
    /** The worker whose heartbeat each write beats; null for the CLI. */
    private readonly workerId: string | null = null,
    private readonly retryMs = 2_000,
  ) {}

  append(runId: string, entry: JournalEntry): void {
    const wseq = this.seqs.get(runId) ?? 0;
    this.seqs.set(runId, wseq + 1);
    this.queue.push({ runId, wseq, entry });
  }

  /** What is appended and not yet in the database. */
  pending(): number {
    return this.queue.length;
  }

  /** One write at a time, in order; a failed one leaves its entries queued and retries in the background. */
  flush(): Promise<void> {
    const next = this.chain.catch(() => undefined).then(() => this.write());
    this.chain = next;
    next.then(
      () => this.stopRetry(),
      () => this.scheduleRetry(),
    );
    return next;
  }

  /** The last write, within `deadlineMs`; entries still queued after it stay only in the local files. */
  async close(deadlineMs = 2_000): Promise<void> {
    this.stopRetry();
    if (this.queue.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush().catch(() => undefined),
      new Promise<void>((r) => {
        timer = setTimeout(r, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    this.stopRetry();
  }

  private scheduleRetry(): void {
    if (this.retry || this.revoked) return;
    this.retry = setInterval(() => {
      if (this.queue.length === 0) return this.stopRetry();
      this.flush().catch(() => undefined);
    }, this.retryMs);
    this.retry.unref();
  }

  private stopRetry(): void {
    if (this.retry) clearInterval(this.retry);
    this.retry = null;
  }

  private async write(): Promise<void> {
    if (this.revoked && this.workerId) throw new WorkerRevokedError(this.workerId);
    const batch = this.queue.slice();
    await transaction(this.db, async (c) => {
      if (this.workerId) {
        const r = await c.query<{ state: string }>(
          "UPDATE pvefix_workers SET beat_at = now() WHERE worker_id = $1 RETURNING state",
          [this.workerId],
        );
        if (r.rows[0]?.state !== "alive") {
          if (!this.revoked) for (const fn of this.onRevoked) fn();
          this.revoked = true;
          throw new WorkerRevokedError(this.workerId);
        }
      }
      for (const item of batch) await writeEntry(c, this.writer, this.workerId ?? this.writer, item);
    });
    this.queue.splice(0, batch.length);
    this.lastOk = Date.now();
  }
}

async function writeEntry(c: PoolClient, writer: string, workerId: string, item: Pending): Promise<void> {
  const { runId, entry } = item;
  if (entry.type === "run-start") {
    await c.query(
      `INSERT INTO pvefix_runs (run_id, runbook, cluster, mode, worker_id, started_at, undo_of, start)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id) DO NOTHING`,
      [
        runId,
        entry.runbook,
        entry.cluster,
        entry.mode,
        workerId,
        entry.time,
        entry.undoOf ?? null,
        JSON.stringify(entry),
      ],
    );
  }
  const inserted = await c.query(
    `INSERT INTO pvefix_journal (run_id, writer, wseq, entry) VALUES ($1, $2, $3, $4)
     ON CONFLICT (run_id, writer, wseq) DO NOTHING`,
    [runId, writer, item.wseq, JSON.stringify(entry)],
  );
  if (!inserted.rowCount) return; // written by an earlier attempt whose answer was lost
  if (entry.type === "run-end") {
    // A takeover's end stands: a late worker's own end of the same run is kept in the journal only.
    await c.query(
      "UPDATE pvefix_runs SET ended = true, outcome = $2, exit_code = $3 WHERE run_id = $1 AND NOT ended",
      [runId, entry.outcome, entry.exitCode],
    );
  }
  if (entry.type === "undone-by" && entry.outcome === "undone") {
    await c.query("UPDATE pvefix_runs SET undone_by = $2 WHERE run_id = $1", [runId, entry.runId]);
  }
}

/** A writer id no other process has: host, pid and a random suffix. */
export function newWriterId(prefix: string): string {
  return `${prefix}-${os.hostname()}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
}

function parseEntries(rows: Array<{ entry: unknown }>): JournalEntry[] {
  return rows.flatMap((row) => {
    const parsed = JournalEntry.safeParse(row.entry);
    return parsed.success ? [parsed.data] : [];
  });
}

export async function readPgJournal(db: Db, runId: string): Promise<JournalEntry[]> {
  const r = await transaction(db, (c) =>
    c.query<{ entry: unknown }>("SELECT entry FROM pvefix_journal WHERE run_id = $1 ORDER BY id", [runId]),
  );
  if (r.rows.length === 0) {
    throw new EngineError(
      "PVEFIX_RUN_NOT_FOUND",
      `No run ${runId} in the database ${db.label}`,
      "run `pvefix runs --database …` to list runs",
    );
  }
  return parseEntries(r.rows);
}

interface RunRow {
  run_id: string;
  start: unknown;
  ended: boolean;
  outcome: string | null;
  exit_code: number | null;
  undone_by: string | null;
  undo_of: string | null;
  worker_id: string;
  live: boolean | null;
}

const RUN_COLUMNS = `r.run_id, r.start, r.ended, r.outcome, r.exit_code, r.undone_by, r.undo_of, r.worker_id,
  (w.state = 'alive' AND w.beat_at > now() - make_interval(secs => w.takeover_ms / 1000.0)) AS live`;

function summaryOf(row: RunRow): RunSummary | null {
  const start = JournalEntry.safeParse(row.start);
  if (!start.success || start.data.type !== "run-start") return null;
  const s = start.data;
  const outcome = row.ended
    ? (row.outcome as RunSummary["outcome"])
    : // A run of a worker that still beats is running; one whose worker stopped beating, or of a
      // CLI that ended without its end reaching the database, is interrupted.
      row.live
      ? "running"
      : "interrupted";
  return {
    runId: row.run_id,
    runbook: s.runbook,
    mode: RunMode.parse(s.mode),
    startedAt: s.time,
    params: s.params,
    cluster: s.cluster,
    outcome,
    exitCode: row.exit_code,
    undoneBy: row.undone_by,
    undoOf: row.undo_of,
  };
}

/** Every run of every worker, oldest first. */
export async function listPgRuns(db: Db): Promise<RunSummary[]> {
  const r = await transaction(db, (c) =>
    c.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM pvefix_runs r LEFT JOIN pvefix_workers w USING (worker_id)
       ORDER BY r.started_at, r.run_id`,
    ),
  );
  return r.rows.flatMap((row) => {
    const s = summaryOf(row);
    return s ? [s] : [];
  });
}

export async function pgRunSummary(db: Db, runId: string): Promise<RunSummary | null> {
  const r = await transaction(db, (c) =>
    c.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM pvefix_runs r LEFT JOIN pvefix_workers w USING (worker_id) WHERE r.run_id = $1`,
      [runId],
    ),
  );
  return r.rows[0] ? summaryOf(r.rows[0]) : null;
}

/** `pvefix show/undo <ref> --database`: an exact id, `last`, or a unique prefix, among every worker's runs. */
export async function resolvePgRunId(db: Db, ref: string): Promise<string> {
  const ids = (await listPgRuns(db)).map((r) => r.runId);
  if (ref === "last") {
    const latest = [...ids].sort().at(-1);
    if (!latest) throw new EngineError("PVEFIX_RUN_NOT_FOUND", `No runs yet in the database ${db.label}`);
    return latest;
  }
  if (ids.includes(ref)) return ref;
  const matches = ids.filter((id) => id.startsWith(ref));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) {
    throw new EngineError(
      "PVEFIX_RUN_NOT_FOUND",
      `Run id prefix \`${ref}\` matches ${matches.length} runs: ${matches.slice(0, 5).join(", ")}${matches.length > 5 ? ", …" : ""}`,
      "give more of the id (`pvefix runs --database …` lists them)",
    );
  }
  throw new EngineError(
    "PVEFIX_RUN_NOT_FOUND",
    `No run ${ref} in the database ${db.label}`,
    "run `pvefix runs --database …` to list runs",
  );
}

/**
 * The journals an operation on `cluster` reads, loaded from the database before it starts (the
 * engine reads synchronously): the run to undo and its earlier undos, and which runs have ended
 * (a node lock of an ended run is stale). A run this process has in its state directory is read
 * from there too, so nothing the database has not received yet is missed.
 */
export async function loadRunJournals(
  db: Db,
  o: { stateDir: string; mirror: JournalMirror; cluster: string; runId?: string },
): Promise<RunJournals> {
  const loaded = await transaction(db, async (c) => {
    const ended = await c.query<{ run_id: string }>(
      "SELECT run_id FROM pvefix_runs WHERE cluster = $1 AND ended",
      [o.cluster],
    );
    if (!o.runId) return { ended: ended.rows.map((r) => r.run_id), entries: [], attempts: [] };
    const entries = await c.query<{ entry: unknown }>(
      "SELECT entry FROM pvefix_journal WHERE run_id = $1 ORDER BY id",
      [o.runId],
    );
    const attempts = await c.query<{ run_id: string; entry: unknown }>(
      `SELECT j.run_id, j.entry FROM pvefix_journal j JOIN pvefix_runs r USING (run_id)
       WHERE r.undo_of = $1 ORDER BY j.id`,
      [o.runId],
    );
    return {
      ended: ended.rows.map((r) => r.run_id),
      entries: parseEntries(entries.rows),
      attempts: groupByRun(attempts.rows).flatMap((e) => undoEntriesOf(e, o.runId as string)),
    };
  });
  const ended = new Set(loaded.ended);
  const local = (runId: string) => fs.existsSync(path.join(runsDir(o.stateDir), `${runId}.jsonl`));
  return {
    read: (runId) => {
      // The database's copy is the local file plus what other workers appended (a takeover's end,
      // an undo's undone-by); the local file is ahead while the copy is behind.
      const mine = local(runId) ? readJournal(o.stateDir, runId) : [];
      const theirs = runId === o.runId ? loaded.entries : [];
      if (mine.length > 0 && mine.length >= theirs.length) return mine;
      if (theirs.length > 0) return theirs;
      throw new EngineError("PVEFIX_RUN_NOT_FOUND", `No run ${runId} in the database ${db.label}`);
    },
    undoAttempts: (runId) => {
      const local = localUndoAttempts(o.stateDir, runId);
      // The same attempt may be in both (this worker's own): the database has every worker's.
      return loaded.attempts.length >= local.length ? loaded.attempts : local;
    },
    ended: (runId) => ended.has(runId) || localRunEnded(o.stateDir, runId),
    appendTo: (runId, entry: JournalEntryInput) => {
      if (local(runId)) Journal.open(o.stateDir, runId, o.mirror).append(entry);
      else o.mirror.append(runId, stampEntry(entry));
    },
    mirror: o.mirror,
  };
}

function groupByRun(rows: Array<{ run_id: string; entry: unknown }>): JournalEntry[][] {
  const byRun = new Map<string, Array<{ entry: unknown }>>();
  for (const row of rows) byRun.set(row.run_id, [...(byRun.get(row.run_id) ?? []), row]);
  return [...byRun.values()].map(parseEntries);
}
