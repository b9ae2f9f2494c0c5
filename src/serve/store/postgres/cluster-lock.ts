/**
 * One remediation per cluster across every worker: the engine's operations that change a
 * cluster (run, apply, undo) hold a PostgreSQL session advisory lock named after the cluster on
 * a connection of their own. A worker that dies loses its connection and PostgreSQL drops the
 * lock with it, so a crash never leaves a cluster locked; a worker cut off from PostgreSQL
 * cannot take the lock and starts nothing.
 */
import type { Remediator } from "../../remediator.js";
import { connect, type Db } from "./db.js";

/** The lock's first key: ours, so the cluster locks cannot meet another application's. */
const CLUSTER_LOCK_CLASS = 0x70766663; // "pvfc"

export async function withClusterLock<T>(db: Db, cluster: string, fn: () => Promise<T>): Promise<T> {
  const client = await connect(db);
  // The server ending this session (a restart, a network cut) arrives as an 'error' event on a
  // checked-out client; unheard it would end the process. The unlock below then fails and is dropped.
  const ignore = () => undefined;
  client.on("error", ignore);
  let locked = false;
  try {
    // Waits for the worker running on this cluster: runs on one cluster are serialised, never refused.
    await client.query("SELECT pg_advisory_lock($1, hashtext($2))", [CLUSTER_LOCK_CLASS, cluster]);
    locked = true;
    return await fn();
  } finally {
    if (locked) {
      await client
        .query("SELECT pg_advisory_unlock($1, hashtext($2))", [CLUSTER_LOCK_CLASS, cluster])
        .catch(() => undefined);
    }
    client.off("error", ignore);
    // Never reused: a connection whose unlock failed must end its session (and the lock) with it.
    client.release(true);
  }
}

export function clusterLockedRemediator(inner: Remediator, db: Db): Remediator {
  return {
    run: (o) => withClusterLock(db, o.target.cluster, () => inner.run(o)),
    apply: (o) => withClusterLock(db, o.target.cluster, () => inner.apply(o)),
    undo: (o) => withClusterLock(db, o.target.cluster, () => inner.undo(o)),
    plan: (o) => inner.plan(o),
    diagnose: (target) => inner.diagnose(target),
  };
}
