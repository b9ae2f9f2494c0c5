import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJournal } from "../../src/engine/journal.js";
import { addFault, labExec, listFaults } from "../../src/lab/index.js";
import type { Db } from "../../src/serve/store/postgres/db.js";
import { cliSession } from "../integration/cli/pvefix.js";
import { type Served, startServed, waitUntil, webhook } from "../integration/serve/served.js";
import { type FleetBed, startFleetBed } from "./postgres/fleet-bed.js";

const RULES = `
version: 1
rules:
  - name: locked
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: true
policy:
  storm: { maxAlerts: 50, maxNodeShare: 1 }
`;

describe("a worker frozen past the takeover and thawed", () => {
  const sessions = [cliSession(), cliSession()];
  const admin = cliSession();
  let fleet: FleetBed;
  let db: Db;
  let labDir: string;
  let cluster: string;
  let token: string;
  const workers: Served[] = [];

  const alert = (vmid: string, node: string) =>
    webhook([
      {
        labels: { alertname: "PveGuestLocked", vmid, cluster, severity: "warning", node },
        fingerprint: `fp-${vmid}`,
      },
    ]);
  const lockOf = async (vmid: number, node: string) => {
    const r = await labExec({ stateDir: labDir, node, command: `pct config ${vmid}` });
    return typeof r === "string" ? null : (/^lock: (\S+)$/m.exec(r.stdout)?.[1] ?? null);
  };

  beforeAll(async () => {
    fleet = await startFleetBed(admin);
    ({ db, labDir, cluster, token } = fleet);
    for (const s of sessions) {
      workers.push(await startServed(s, RULES, { token }, "127.0.0.1:0", fleet.workerArgs));
    }
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) w.child.child.kill("SIGCONT");
    await Promise.all(workers.map((w) => w.stop()));
    await fleet?.close();
  });

  it("sends nothing more for the run taken over, keeps the takeover's end, and takes no more jobs (a live worker runs them)", async () => {
    await addFault(labDir, { node: "pve1", match: "pct unlock 100", action: "hang", times: 1 });
    expect(
      (await (workers[0] as Served).post("/v1/alerts", alert("100", "pve1"), token)).json.results[0].verdict,
    ).toBe("queued");
    const runId = await waitUntil(
      "the step in flight",
      async () =>
        (
          await db.pool.query<{ run_id: string }>(
            "SELECT run_id FROM pvefix_journal WHERE entry->>'type' = 'step-start' AND entry->>'stepId' = 'unlock-100'",
          )
        ).rows[0]?.run_id,
    );
    // Any worker may have taken the job: the one whose run it is will be late.
    const lateAt = await fleet.runnerIndex(runId, workers);
    const late = workers[lateAt] as Served;
    expect(late).toBeDefined();
    late.child.child.kill("SIGSTOP");
    const taken = await waitUntil(
      "the takeover",
      async () =>
        (
          await db.pool.query<{ outcome: string; taken_over_by: string }>(
            "SELECT outcome, taken_over_by FROM pvefix_runs WHERE run_id = $1 AND ended",
            [runId],
          )
        ).rows[0],
      30_000,
    );
    expect(taken.outcome).toBe("rollback-incomplete");
    const relock = await addFault(labDir, { node: "pve1", match: "pct set 100", action: "fail", times: 5 });
    late.child.child.kill("SIGCONT");

    // The hung unlock times out (30 s); the worker finds itself dead and sends no undo.
    const local = sessions[lateAt]!.stateDir;
    const end = await waitUntil(
      "the late worker's own end of the run",
      () => readJournal(local, runId).find((e) => e.type === "run-end"),
      90_000,
    );
    expect(end).toMatchObject({ type: "run-end" });
    const undo = readJournal(local, runId).find((e) => e.type === "undo-end");
    expect(undo).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not sent: another worker took this run over/),
    });
    expect((await listFaults(labDir)).find((f) => f.id === relock.id)?.times).toBe(5);
    expect(await lockOf(100, "pve1")).toBe("backup");
    const row = await db.pool.query("SELECT outcome, taken_over_by FROM pvefix_runs WHERE run_id = $1", [
      runId,
    ]);
    expect(row.rows[0]).toEqual(taken);

    // Declared dead, the late worker takes no more jobs and says so on /healthz (503: restart
    // it); an alert it still accepts goes to the queue in PostgreSQL and a live worker runs it.
    await late.child.waitFor(/declared dead by another worker: it takes no more jobs/, 20_000);
    const health = await late.get("/healthz");
    expect(health.status).toBe(503);
    expect(health.text).toMatch(/declared dead/);
    expect((await late.post("/v1/alerts", alert("103", "pve3"), token)).json.results[0].verdict).toBe(
      "queued",
    );
    const other = await waitUntil(
      "the alert's run on a live worker",
      async () =>
        (
          await db.pool.query<{ pid: number; outcome: string | null }>(
            `SELECT w.pid, r.outcome FROM pvefix_runs r JOIN pvefix_workers w USING (worker_id)
              WHERE r.ended AND r.start->'params'->>'vmid' = '103'`,
          )
        ).rows[0],
      60_000,
    );
    expect(other.pid).not.toBe(late.child.child.pid);
    expect(other.outcome).toBe("done");
    expect(await lockOf(103, "pve3")).toBeNull();
  });
});
