/**
 * Crash takeover: a run whose worker stopped beating for longer than the takeover setting is
 * claimed by one live worker (`FOR UPDATE SKIP LOCKED`), ended in the database in the same
 * transaction (so no second worker claims it), and then handled as its journal says is safe
 * (`takeover-decision.ts`): rolled back by the engine's undo under the cluster's advisory lock, or
 * left alone with a human paged. Nothing of the dead run is ever sent again.
 */
import type { JournalEntry } from "../../engine/journal.js";
import { JournalEntry as JournalEntrySchema } from "../../engine/journal.js";
import { exitCodeFor } from "../../errors/exit-codes.js";
import type { RunResult } from "../../index.js";
import type { Logger } from "../log.js";
import type { Notification } from "../notify/webhook.js";
import { type Db, transaction } from "../store/postgres/db.js";
import { decideTakeover, type TakeoverDecision } from "./takeover-decision.js";

/** Called after a dead worker's run was handled: fleet-jobs releases the dead worker's jobs here. */
export type TakenOverHook = (deadWorkerId: string, runId: string) => void | Promise<void>;

export interface TakenOver {
  runId: string;
  deadWorker: string;
  cluster: string;
  decision: TakeoverDecision["kind"];
  /** The undo's outcome when the run was rolled back. */
  undo?: string;
}

export interface TakeoverDeps {
  db: Db;
  workerId: string;
  takeoverMs: number;
  clusters: () => readonly string[];
  /** The engine's undo of `runId`, unattended, under the cluster's lock, reading the database's journal. */
  undo(o: { runId: string; cluster: string; trigger: Record<string, unknown> }): Promise<RunResult>;
  /** The policy remembers how the dead run ended (its attempt counts), by its trigger's key. */
  finished(key: string, outcome: string, runId: string): Promise<void>;
  notify(n: Notification): Promise<void>;
  logger: Logger;
}

interface Claim {
  runId: string;
  deadWorker: string;
  cluster: string;
  entries: JournalEntry[];
  decision: TakeoverDecision;
}

export class Takeover {
  /** Run in order after each run taken over, whatever its decision; a hook that throws is logged. */
  readonly onTakenOver: TakenOverHook[] = [];
  private busy: Promise<TakenOver[]> | null = null;

  constructor(private readonly deps: TakeoverDeps) {}

  /** Take over every run of a dead worker this worker serves the cluster of; one pass at a time. */
  once(): Promise<TakenOver[]> {
    this.busy ??= this.pass().finally(() => {
      this.busy = null;
    });
    return this.busy;
  }

  private async pass(): Promise<TakenOver[]> {
    const out: TakenOver[] = [];
    for (;;) {
      const claim = await this.claim();
      if (!claim) return out;
      out.push(await this.handle(claim));
    }
  }

  private async claim(): Promise<Claim | null> {
    const { db, workerId, takeoverMs } = this.deps;
    const clusters = [...this.deps.clusters()];
    return transaction(db, async (c) => {
      const r = await c.query<{ run_id: string; worker_id: string; cluster: string }>(
        `SELECT r.run_id, r.worker_id, r.cluster
           FROM pvefix_runs r JOIN pvefix_workers w USING (worker_id)
          WHERE NOT r.ended AND r.worker_id <> $1 AND r.cluster = ANY($2)
            AND (w.state <> 'alive' OR w.beat_at < now() - make_interval(secs => $3 / 1000.0))
            AND NOT EXISTS (SELECT 1 FROM pvefix_runs u WHERE u.undo_of = r.run_id)
          ORDER BY r.started_at, r.run_id
          LIMIT 1
          FOR UPDATE OF r SKIP LOCKED`,
        [workerId, clusters, takeoverMs],
      );
      const row = r.rows[0];
      if (!row) return null;
      // A late worker that comes back finds itself dead and sends nothing more (PgJournalMirror).
      await c.query("UPDATE pvefix_workers SET state = 'dead' WHERE worker_id = $1 AND state = 'alive'", [
        row.worker_id,
      ]);
      const e = await c.query<{ entry: unknown }>(
        "SELECT entry FROM pvefix_journal WHERE run_id = $1 ORDER BY id",
        [row.run_id],
      );
      const entries = e.rows.flatMap((x) => {
        const p = JournalEntrySchema.safeParse(x.entry);
        return p.success ? [p.data] : [];
      });
      const decision = decideTakeover(entries, row.worker_id);
      const end: JournalEntry = {
        type: "run-end",
        time: new Date().toISOString(),
        outcome: decision.outcome,
        exitCode: exitCodeFor(decision.outcome),
        message: `taken over by worker ${workerId}: ${decision.message}`,
      };
      // Its own writer: the entry lands once, whoever else appends to this run later.
      await c.query(
        `INSERT INTO pvefix_journal (run_id, writer, wseq, entry) VALUES ($1, $2, 0, $3)
         ON CONFLICT (run_id, writer, wseq) DO NOTHING`,
        [row.run_id, `takeover:${workerId}`, JSON.stringify(end)],
      );
      await c.query(
        `UPDATE pvefix_runs SET ended = true, outcome = $2, exit_code = $3, taken_over_by = $4
          WHERE run_id = $1`,
        [row.run_id, end.outcome, end.exitCode, workerId],
      );
      return { runId: row.run_id, deadWorker: row.worker_id, cluster: row.cluster, entries, decision };
    });
  }

  private async handle(claim: Claim): Promise<TakenOver> {
    const { logger } = this.deps;
    const { runId, deadWorker, cluster, decision } = claim;
    logger.log("warn", "took over the run of a dead worker", {
      runId,
      deadWorker,
      decision: decision.kind,
      message: decision.message,
    });
    const done: TakenOver = { runId, deadWorker, cluster, decision: decision.kind };
    const start = claim.entries.find((e) => e.type === "run-start");
    const key =
      start?.type === "run-start" && typeof start.trigger?.key === "string" ? start.trigger.key : null;
    const runbook = start?.type === "run-start" ? start.runbook : "?";
    if (decision.kind === "roll-back") {
      try {
        const undo = await this.deps.undo({
          runId,
          cluster,
          trigger: { source: "takeover", by: this.deps.workerId, deadWorker },
        });
        done.undo = undo.outcome;
        await this.deps.notify({
          event: undo.outcome === "undone" ? "failed" : "rollback-incomplete",
          cluster,
          title: `${runbook} run ${runId} of dead worker ${deadWorker} was taken over; its rollback ended ${undo.outcome}${undo.outcome === "undone" ? "" : `: pvefix undo ${runId}`}`,
          fields: {
            ...(undo.runId ? { undoRun: undo.runId } : {}),
            ...(undo.error ? { error: undo.error } : {}),
            ...(undo.refusal ? { refusal: undo.refusal.message } : {}),
          },
        });
      } catch (error) {
        done.undo = `error: ${(error as Error).message}`;
        logger.log("error", "rollback of a taken-over run failed", {
          runId,
          error: (error as Error).message,
        });
        await this.deps.notify({
          event: "rollback-incomplete",
          cluster,
          title: `${runbook} run ${runId} of dead worker ${deadWorker} was taken over; its rollback failed: pvefix undo ${runId}`,
          fields: { error: (error as Error).message },
        });
      }
    } else if (decision.kind === "page") {
      await this.deps.notify({
        event: "rollback-incomplete",
        cluster,
        title: `${runbook} run ${runId} of dead worker ${deadWorker} needs a human: ${decision.message}`,
        fields: { inFlight: decision.inFlight.join(", ") },
      });
    }
    if (key) {
      await this.deps.finished(key, decision.outcome, runId).catch((error: unknown) =>
        logger.log("warn", "policy not updated after a takeover", {
          runId,
          error: (error as Error).message,
        }),
      );
    }
    for (const hook of this.onTakenOver) {
      try {
        await hook(deadWorker, runId);
      } catch (error) {
        logger.log("error", "takeover hook failed", { runId, error: (error as Error).message });
      }
    }
    return done;
  }
}
