/**
 * Where the service's state lives: the state directory (the embedded default) or, with a
 * database URL (`--database` or PVEFIX_DATABASE_URL), PostgreSQL shared by every worker.
 */

import type { Db } from "./postgres/db.js";
import { checkSchema } from "./postgres/migrations.js";
import { stateDirStores } from "./state-dir.js";
import type { ServeStores } from "./types.js";

export interface OpenStores {
  stores: ServeStores;
  /** The database, when the stores are in PostgreSQL. */
  db: Db | null;
  close(): Promise<void>;
}

/** The flag first, then the environment; empty means the embedded default. */
export function databaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const url = flag ?? env.PVEFIX_DATABASE_URL;
  return url ? url : null;
}

export async function openStores(o: {
  stateDir: string;
  database: string | null;
  /** The pool's size (default 10): a worker running many clusters' jobs at once needs more. */
  maxConnections?: number;
}): Promise<OpenStores> {
  if (o.database === null) {
    return { stores: stateDirStores(o.stateDir), db: null, close: async () => undefined };
  }
  const { openDb } = await import("./postgres/db.js");
  const { postgresStores } = await import("./postgres/stores.js");
  const db = await openDb(o.database, {
    field: process.env.PVEFIX_DATABASE_URL === o.database ? "PVEFIX_DATABASE_URL" : "--database",
    ...(o.maxConnections ? { max: o.maxConnections } : {}),
  });
  try {
    await checkSchema(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { stores: postgresStores(db), db, close: () => db.close() };
}
