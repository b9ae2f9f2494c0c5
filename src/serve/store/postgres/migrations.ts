/**
 * Versioned schema migrations for the PostgreSQL stores. Each migration runs once, in order, in
 * its own transaction, recorded in `pvefix_migrations`; an advisory lock makes two workers that
 * start at the same moment apply each one once. A database newer than this binary is refused:
 * an old worker must not write rows whose meaning it does not know.
 */
import type { PoolClient } from "pg";
import { ServeError } from "../../errors.js";
import { connect, type Db } from "./db.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append only: a released migration is never edited, a change is a new version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "serve stores: policy, approvals, tokens",
    sql: `
      CREATE TABLE pvefix_policy (
        id int PRIMARY KEY CHECK (id = 1),
        state jsonb NOT NULL
      );
      INSERT INTO pvefix_policy (id, state)
        VALUES (1, '{"version":1,"paused":{"all":null,"clusters":{}},"targets":{},"windows":{},"seen":{}}');
      CREATE TABLE pvefix_approvals (
        id text PRIMARY KEY,
        approval jsonb NOT NULL,
        plan jsonb NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX pvefix_approvals_created ON pvefix_approvals (created_at);
      CREATE TABLE pvefix_tokens (
        name text PRIMARY KEY,
        hash text NOT NULL UNIQUE,
        record jsonb NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: "fleet journal: runs, their entries, worker heartbeats",
    sql: `
      CREATE TABLE pvefix_workers (
        worker_id text PRIMARY KEY,
        host text NOT NULL,
        pid int NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        beat_at timestamptz NOT NULL DEFAULT now(),
        takeover_ms int NOT NULL,
        state text NOT NULL DEFAULT 'alive' CHECK (state IN ('alive', 'stopped', 'dead'))
      );
      CREATE TABLE pvefix_runs (
        run_id text PRIMARY KEY,
        runbook text NOT NULL,
        cluster text NOT NULL,
        mode text NOT NULL,
        worker_id text NOT NULL,
        started_at timestamptz NOT NULL,
        undo_of text,
        start jsonb NOT NULL,
        ended boolean NOT NULL DEFAULT false,
        outcome text,
        exit_code int,
        undone_by text,
        taken_over_by text
      );
      CREATE INDEX pvefix_runs_open ON pvefix_runs (worker_id) WHERE NOT ended;
      CREATE INDEX pvefix_runs_undo_of ON pvefix_runs (undo_of) WHERE undo_of IS NOT NULL;
      CREATE TABLE pvefix_journal (
        id bigserial PRIMARY KEY,
        run_id text NOT NULL,
        writer text NOT NULL,
        wseq int NOT NULL,
        entry jsonb NOT NULL,
        UNIQUE (run_id, writer, wseq)
      );
      CREATE INDEX pvefix_journal_run ON pvefix_journal (run_id, id);
    `,
  },
  {
    version: 3,
    name: "fleet workers name their graphile-worker pool",
    // A worker killed holding a job before its run started is named nowhere else; its pool must
    // be known for its job (and its cluster's queue) to be released before graphile-worker's 4 h.
    sql: `ALTER TABLE pvefix_workers ADD COLUMN pool text;`,
  },
];

/** Any constant of our own: the lock only has to differ from the application's other advisory locks. */
const MIGRATION_LOCK = 0x70766566; // "pvef"

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS pvefix_migrations (
  version int PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function inTransaction<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const out = await fn();
    await client.query("COMMIT");
    return out;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

async function appliedVersions(client: PoolClient): Promise<number[]> {
  const r = await client.query<{ version: number }>("SELECT version FROM pvefix_migrations ORDER BY version");
  return r.rows.map((row) => row.version);
}

/** Apply the migrations not yet applied; returns the versions this call applied. */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await connect(db);
  const applied: number[] = [];
  try {
    await inTransaction(client, async () => {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query(CREATE_TABLE);
    });
    const known = new Set(migrations.map((m) => m.version));
    const newer = (await appliedVersions(client)).filter((v) => !known.has(v));
    if (newer.length > 0) refuseNewer(newer);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      const did = await inTransaction(client, async () => {
        // Under the lock, re-read: another worker may have applied it since.
        await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
        const done = await client.query("SELECT 1 FROM pvefix_migrations WHERE version = $1", [m.version]);
        if (done.rowCount) return false;
        await client.query(m.sql);
        await client.query("INSERT INTO pvefix_migrations (version, name) VALUES ($1, $2)", [
          m.version,
          m.name,
        ]);
        return true;
      });
      if (did) applied.push(m.version);
    }
  } finally {
    client.release();
  }
  return applied;
}

function refuseNewer(versions: number[]): never {
  throw new ServeError(
    "PVEFIX_SERVE_STATE",
    `✖ The database has migrations this pvefix does not know (${versions.join(", ")})`,
    "upgrade this pvefix to the version the other workers run",
  );
}

/** Refuse to serve on a database that is behind or ahead of this binary's schema. */
export async function checkSchema(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  const client = await connect(db);
  try {
    const exists = await client.query("SELECT to_regclass('pvefix_migrations') AS t");
    const versions = exists.rows[0]?.t ? await appliedVersions(client) : [];
    const known = new Set(migrations.map((m) => m.version));
    const newer = versions.filter((v) => !known.has(v));
    if (newer.length > 0) refuseNewer(newer);
    const missing = migrations.filter((m) => !versions.includes(m.version)).map((m) => m.version);
    if (missing.length > 0) {
      throw new ServeError(
        "PVEFIX_SERVE_STATE",
        `✖ The database lacks migrations ${missing.join(", ")}`,
        "run: pvefix db migrate --database <url>",
      );
    }
  } finally {
    client.release();
  }
}
