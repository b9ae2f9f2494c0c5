/**
 * The connection to PostgreSQL: one pool per process, and transactions that retry on the
 * errors PostgreSQL asks a client to retry (serialization failure, deadlock). `pg` is loaded
 * only when a database is given: the embedded default never needs it.
 */
import { createRequire } from "node:module";
import type * as PgModule from "pg";
import type { Pool, PoolClient } from "pg";
import { ServeError } from "../../errors.js";
import type { StoreTx } from "../types.js";

export interface Db {
  pool: Pool;
  /** The URL without its password, for logs and messages. */
  label: string;
  close(): Promise<void>;
}

/** postgres:// or postgresql://, as libpq and `pg` accept them. */
export function parseDatabaseUrl(raw: string, field = "--database"): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ServeError(
      "PVEFIX_BAD_INPUT",
      `✖ ${field} must be a URL like postgres://user@host:5432/db, got "${raw}"`,
    );
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ServeError(
      "PVEFIX_BAD_INPUT",
      `✖ ${field} must start with postgres:// or postgresql://, got ${url.protocol}//`,
    );
  }
  return url;
}

export function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = "***";
  return copy.href;
}

export async function openDb(raw: string, o: { max?: number; field?: string } = {}): Promise<Db> {
  const url = parseDatabaseUrl(raw, o.field);
  // require, not import(): the CLI bundle runs from V8's code cache, where a dynamic import of an
  // external package has no loader; pg is CommonJS either way.
  const pg = createRequire(import.meta.url)("pg") as typeof PgModule;
  const pool = new pg.Pool({
    connectionString: url.href,
    max: o.max ?? 10,
    connectionTimeoutMillis: 5_000,
    // A statement that hangs (a lost network) must not hang a worker past its deadline.
    query_timeout: 30_000,
    application_name: "pvefix",
  });
  // An idle client's error (the server went away) must not crash the process: the next query fails instead.
  pool.on("error", () => undefined);
  return {
    pool,
    label: redact(url),
    close: () => pool.end(),
  };
}

const RETRYABLE = new Set(["40001", "40P01"]);

/**
 * Run `fn` in one transaction (rolled back if it throws). Serialization failures and deadlocks
 * are retried a few times with a short random pause; anything else propagates.
 */
/** A PostgreSQL transaction as the stores hand it on (`PolicyStore.update`'s `commitWith`). */
interface PgTx extends StoreTx {
  readonly kind: "postgres";
  readonly client: PoolClient;
}

export function pgTx(client: PoolClient): StoreTx {
  return { kind: "postgres", client } as PgTx;
}

/** The client of a PostgreSQL store transaction; null for none or another store's. */
export function clientOf(tx: StoreTx | undefined): PoolClient | null {
  return tx?.kind === "postgres" ? (tx as PgTx).client : null;
}

export async function transaction<T>(
  db: Db,
  fn: (client: PoolClient) => Promise<T>,
  o: { isolation?: "read committed" | "serializable"; attempts?: number } = {},
): Promise<T> {
  const attempts = o.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    const client = await connect(db);
    // A session ended by the server while checked out is an 'error' event; the query's rejection reports it.
    const ignore = () => undefined;
    client.on("error", ignore);
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${(o.isolation ?? "read committed").toUpperCase()}`);
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      const code = (error as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < attempts) {
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        continue;
      }
      throw lostConnection(error) ? unavailable(db, error) : error;
    } finally {
      client.off("error", ignore);
      client.release();
    }
  }
}

export async function connect(db: Db): Promise<PoolClient> {
  try {
    return await db.pool.connect();
  } catch (error) {
    throw unavailable(db, error);
  }
}

/** The server went away or cannot be reached (as opposed to a statement PostgreSQL refused). */
function lostConnection(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e.code && /^(08|57P)/.test(e.code)) return true;
  if (e.code && ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND"].includes(e.code))
    return true;
  return /Connection terminated|Query read timeout|connection timeout/i.test(e.message ?? "");
}

function unavailable(db: Db, error: unknown): ServeError {
  return new ServeError(
    "PVEFIX_SERVE_DATABASE",
    `✖ Cannot reach the database ${db.label}: ${(error as Error).message}`,
    "check that PostgreSQL runs and the URL is right; nothing was decided or started",
    { cause: error },
  );
}
