/**
 * A `pvefix serve --database` worker that loses PostgreSQL in the middle of a step: the step
 * ends (its command timed out), the worker rolls it back from its own journal with the database
 * gone, and when PostgreSQL is back the mirror copies the rest of the run, entry for entry; the
 * other worker, itself cut off meanwhile, does not take the run over (it waits a whole takeover
 * period of beats of its own first).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJournal } from "../../src/engine/journal.js";
import { addFault } from "../../src/lab/index.js";
import { type Db, openDb } from "../../src/serve/store/postgres/db.js";
import { cliSession } from "../integration/cli/pvefix.js";
import { type Served, startServed, waitUntil, webhook } from "../integration/serve/served.js";
import type { PostgresBed } from "./postgres/bed.js";
import { type FleetBed, startFleetBed } from "./postgres/fleet-bed.js";

const SCRIPTS = fileURLToPath(new URL("../../scripts/testbed/", import.meta.url));
const run = promisify(execFile);

const RULES = `
version: 1
rules:
  - name: locked
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: true
`;

describe("a worker that loses PostgreSQL mid-run", () => {
  const sessions = [cliSession(), cliSession()];
  const admin = cliSession();
  let fleet: FleetBed;
  let bed: PostgresBed;
  let db: Db;
  let labDir: string;
  let cluster: string;
  let token: string;
  const workers: Served[] = [];

  const postgresDown = () => run("bash", [join(SCRIPTS, "postgres-down.sh"), "--state", bed.stateDir]);
  const postgresUp = () =>
    run("bash", [join(SCRIPTS, "postgres-up.sh"), "--state", bed.stateDir, "--port", new URL(bed.url).port], {
      timeout: 120_000,
    });

  beforeAll(async () => {
    fleet = await startFleetBed(admin);
    ({ bed, db, labDir, cluster, token } = fleet);
    for (const s of sessions) {
      workers.push(await startServed(s, RULES, { token }, "127.0.0.1:0", fleet.workerArgs));
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    // The test closes the bed's pool and opens one of its own after the outage.
    if (db !== fleet?.db) await db?.close();
    await fleet?.close();
  });

  it("rolls back from its own journal, copies the run to PostgreSQL when it is back, and is not taken over", async () => {
    await addFault(labDir, { node: "pve1", match: "pct unlock 100", action: "hang", times: 1 });
    const alert = { alertname: "PveGuestLocked", vmid: "100", cluster, severity: "warning", node: "pve1" };
    const res = await (workers[0] as Served).post(
      "/v1/alerts",
      webhook([{ labels: alert, fingerprint: "fp-100" }]),
      token,
    );
    expect(res.json.results[0].verdict).toBe("queued");
    const runId = await waitUntil(
      "the step in flight",
      async () =>
        (
          await db.pool.query<{ run_id: string }>(
            "SELECT run_id FROM pvefix_journal WHERE entry->>'type' = 'step-start' AND entry->>'stepId' = 'unlock-100'",
          )
        ).rows[0]?.run_id,
    );
    // Any worker may have taken the job: the run's journal is in its runner's state directory.
    const at = await fleet.runnerIndex(runId, workers);
    expect(at).toBeGreaterThanOrEqual(0);
    await db.close();
    await postgresDown();
    // The unlock's own timeout (30 s) ends the step; the worker rolls back without the database.
    const local = sessions[at]!.stateDir;
    const end = await waitUntil(
      "the run's end in the worker's own journal",
      () => readJournal(local, runId).find((e) => e.type === "run-end"),
      90_000,
    );
    expect(end).toMatchObject({ outcome: "failed-rolled-back" });
    await postgresUp();
    db = await openDb(bed.url, { max: 2 });
    const row = await waitUntil(
      "the run's end copied to PostgreSQL",
      async () =>
        (
          await db.pool.query<{ ended: boolean; outcome: string; taken_over_by: string | null }>(
            "SELECT ended, outcome, taken_over_by FROM pvefix_runs WHERE run_id = $1 AND ended",
            [runId],
          )
        ).rows[0],
      30_000,
    );
    expect(row).toEqual({ ended: true, outcome: "failed-rolled-back", taken_over_by: null });
    const copied = await db.pool.query<{ entry: unknown }>(
      "SELECT entry FROM pvefix_journal WHERE run_id = $1 ORDER BY id",
      [runId],
    );
    expect(copied.rows.map((r) => r.entry)).toEqual(JSON.parse(JSON.stringify(readJournal(local, runId))));
    // Give the other worker more than a takeover period: it must leave the run alone.
    await new Promise((r) => setTimeout(r, 6_000));
    const undos = await db.pool.query("SELECT 1 FROM pvefix_runs WHERE undo_of = $1", [runId]);
    expect(undos.rowCount).toBe(0);
    const after = await db.pool.query<{ taken_over_by: string | null }>(
      "SELECT taken_over_by FROM pvefix_runs WHERE run_id = $1",
      [runId],
    );
    expect(after.rows[0]?.taken_over_by).toBeNull();
  });
});
