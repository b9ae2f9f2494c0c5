/**
 * The CLI's way into the fleet's journal (`pvefix runs|show|undo --database`): every worker's
 * runs, read from PostgreSQL; an undo of any of them under the cluster's advisory lock (as serve
 * takes it), its own journal mirrored there too.
 */

import { EngineError } from "../../engine/errors.js";
import type { JournalEntry, RunSummary } from "../../engine/journal.js";
import type { RunJournals } from "../../engine/journal-store.js";
import { undoSubject } from "../../engine/operations/undo-subject.js";
import { isPvefixError } from "../../errors/pvefix-error.js";
import type { AnyRunbook } from "../../index.js";
import { withClusterLock } from "../store/postgres/cluster-lock.js";
import { type Db, openDb } from "../store/postgres/db.js";
import {
  listPgRuns,
  loadRunJournals,
  newWriterId,
  PgJournalMirror,
  readPgJournal,
  resolvePgRunId,
} from "../store/postgres/journal.js";
import { checkSchema } from "../store/postgres/migrations.js";

export interface FleetAccess {
  label: string;
  runs(): Promise<RunSummary[]>;
  entries(runId: string): Promise<JournalEntry[]>;
  /** An exact id, `last` (the latest run started) or a unique prefix. */
  resolve(ref: string): Promise<string>;
  /** `undo last`: the latest run of any worker with something left to undo. */
  lastUndoable(runbookFor: (id: string) => AnyRunbook): Promise<{ runId: string; passedOver: string[] }>;
  journals(cluster: string, runId: string): Promise<RunJournals>;
  withClusterLock<T>(cluster: string, fn: () => Promise<T>): Promise<T>;
  /** Copies what this process journaled (within a short deadline) and closes the connection. */
  close(): Promise<void>;
}

export async function openFleetAccess(
  url: string,
  stateDir: string,
  field = "--database",
): Promise<FleetAccess> {
  const db: Db = await openDb(url, { max: 4, field });
  try {
    await checkSchema(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const mirror = new PgJournalMirror(db, newWriterId("cli"));
  const journals = (cluster: string, runId: string) =>
    loadRunJournals(db, { stateDir, mirror, cluster, runId });
  return {
    label: db.label,
    runs: () => listPgRuns(db),
    entries: (runId) => readPgJournal(db, runId),
    resolve: (ref) => resolvePgRunId(db, ref),
    async lastUndoable(runbookFor) {
      const runs = await listPgRuns(db);
      if (runs.length === 0)
        throw new EngineError("PVEFIX_RUN_NOT_FOUND", `No runs yet in the database ${db.label}`);
      const passedOver: string[] = [];
      for (const run of [...runs].reverse()) {
        try {
          undoSubject({
            stateDir,
            runId: run.runId,
            runbookFor,
            journals: await journals(run.cluster, run.runId),
          });
          return { runId: run.runId, passedOver };
        } catch (error) {
          if (!isPvefixError(error, "PVEFIX_NOTHING_TO_UNDO")) throw error;
          passedOver.push(run.runId);
        }
      }
      throw new EngineError(
        "PVEFIX_NOTHING_TO_UNDO",
        `Nothing to undo: none of the ${runs.length} runs in the database ${db.label} left a change in place`,
      );
    },
    journals,
    withClusterLock: (cluster, fn) => withClusterLock(db, cluster, fn),
    async close() {
      await mirror.close(5_000);
      await db.close();
    },
  };
}
