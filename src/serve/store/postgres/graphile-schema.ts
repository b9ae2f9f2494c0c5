/**
 * graphile-worker's own schema (`graphile_worker`): `pvefix db migrate` installs or upgrades it
 * with graphile-worker's migrations, and `pvefix serve --database` refuses a database that lacks
 * it or is behind, as it does for pvefix's own migrations — a worker never creates a schema by
 * itself while others run. graphile-worker is loaded only with a database.
 */
import { createRequire } from "node:module";
import type * as GraphileWorker from "graphile-worker";
import { ServeError } from "../../errors.js";
import { connect, type Db } from "./db.js";

export const JOB_SCHEMA = "graphile_worker";

/** require, not import(): the CLI bundle has no loader for a dynamic import of an external package (as for pg). */
export function loadGraphileWorker(): typeof GraphileWorker {
  return createRequire(import.meta.url)("graphile-worker") as typeof GraphileWorker;
}

/** The number of graphile-worker migrations this binary's graphile-worker ships (19 in 0.17.3). */
export function knownJobMigrations(): number {
  const req = createRequire(import.meta.url);
  const generated = req("graphile-worker/dist/generated/sql") as { migrations: Record<string, string> };
  return Object.keys(generated.migrations).filter((name) => /^\d+\.sql$/.test(name)).length;
}

/** graphile-worker's version, for messages. */
export function graphileWorkerVersion(): string {
  const req = createRequire(import.meta.url);
  return (req("graphile-worker/package.json") as { version: string }).version;
}

/** Install or upgrade graphile_worker; returns the migration it was at before (0: none) and after. */
export async function migrateJobSchema(db: Db, url: string): Promise<{ before: number; after: number }> {
  const before = await jobSchemaVersion(db);
  const gw = loadGraphileWorker();
  // A pool of graphile-worker's own (it wants its error handlers on every client), closed at the end.
  await gw.runMigrations({
    connectionString: url,
    maxPoolSize: 2,
    schema: JOB_SCHEMA,
    logger: quietLogger(gw),
  });
  return { before, after: await jobSchemaVersion(db) };
}

/** The highest graphile-worker migration applied, 0 when its schema is absent. */
export async function jobSchemaVersion(db: Db): Promise<number> {
  const client = await connect(db);
  try {
    const exists = await client.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [
      `${JOB_SCHEMA}.migrations`,
    ]);
    if (!exists.rows[0]?.t) return 0;
    const r = await client.query<{ id: number | null }>(`SELECT max(id) AS id FROM ${JOB_SCHEMA}.migrations`);
    return r.rows[0]?.id ?? 0;
  } finally {
    client.release();
  }
}

/** Refuse to serve on a database whose job schema is missing or older than this binary's graphile-worker. */
export async function checkJobSchema(db: Db, known = knownJobMigrations()): Promise<void> {
  const at = await jobSchemaVersion(db);
  if (at === 0) {
    throw new ServeError(
      "PVEFIX_SERVE_STATE",
      `✖ The database lacks graphile-worker's job schema (${JOB_SCHEMA}): the job queue of pvefix serve --database`,
      "run: pvefix db migrate --database <url>",
    );
  }
  if (at < known) {
    throw new ServeError(
      "PVEFIX_SERVE_STATE",
      `✖ The database's graphile-worker schema is at migration ${at}, this pvefix's graphile-worker ${graphileWorkerVersion()} needs ${known}`,
      "run: pvefix db migrate --database <url>",
    );
  }
}

/** graphile-worker's warnings and errors only; its per-job info lines would double the service's own logs. */
export function quietLogger(
  gw: typeof GraphileWorker,
  write: (level: "warn" | "error", message: string) => void = (level, message) =>
    process.stderr.write(`${JSON.stringify({ level, msg: message, from: "graphile-worker" })}\n`),
): GraphileWorker.Logger {
  return new gw.Logger(() => (level, message) => {
    if (level === "error") write("error", message);
    else if (level === "warning") write("warn", message);
  });
}
