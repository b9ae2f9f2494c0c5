import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFault, clearFaults, type LabServer, labExec, listFaults } from "../../src/lab/index.js";
import type { Db } from "../../src/serve/store/postgres/db.js";
import { cliSession } from "../integration/cli/pvefix.js";
import { type Served, startServed, waitUntil, webhook } from "../integration/serve/served.js";
import type { PostgresBed } from "./postgres/bed.js";
import { type FleetBed, startFleetBed } from "./postgres/fleet-bed.js";

const rules = (notifyUrl: string) => `
version: 1
rules:
  - name: locked
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: true
policy:
  cooldown: 10m
  storm: { maxAlerts: 50, maxNodeShare: 1 }
notify:
  - url: ${notifyUrl}
`;

interface Note {
  event: string;
  title: string;
}

describe("crash takeover between serve workers on one PostgreSQL", () => {
  const sessions = [cliSession(), cliSession(), cliSession()];
  const admin = cliSession();
  let fleet: FleetBed;
  let bed: PostgresBed;
  let db: Db;
  let lab: LabServer;
  let labDir: string;
  let cluster: string;
  let token: string;
  let receiver: http.Server;
  let notifyUrl: string;
  const notes: Note[] = [];
  const workers: Served[] = [];

  const locked = (vmid: string, node: string) => ({
    labels: { alertname: "PveGuestLocked", vmid, cluster, severity: "warning", node },
    fingerprint: `fp-${vmid}`,
  });
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await db.pool.query(sql, params)).rows as T[];
  const runRow = async (runId: string) =>
    (
      await query<{
        ended: boolean;
        outcome: string | null;
        taken_over_by: string | null;
        undone_by: string | null;
      }>("SELECT ended, outcome, taken_over_by, undone_by FROM pvefix_runs WHERE run_id = $1", [runId])
    )[0];
  /** The run (of any worker) whose journal in PostgreSQL has this entry. */
  const runWith = async (type: string, stepId: string, extra = "") =>
    (
      await query<{ run_id: string }>(
        `SELECT run_id FROM pvefix_journal WHERE entry->>'type' = $1 AND entry->>'stepId' = $2 ${extra}`,
        [type, stepId],
      )
    )[0]?.run_id;
  const runnerOf = async (runId: string): Promise<Served> => {
    const runner = workers[await fleet.runnerIndex(runId, workers)];
    if (!runner) throw new Error(`no worker of ours runs ${runId}`);
    return runner;
  };
  const runWorker = async (runId: string) =>
    (await query<{ worker_id: string }>("SELECT worker_id FROM pvefix_runs WHERE run_id = $1", [runId]))[0]
      ?.worker_id;
  const alive = () =>
    workers.filter((w) => w.child.child.exitCode === null && w.child.child.signalCode === null);
  const faultLeft = async (id: string) => (await listFaults(labDir)).find((f) => f.id === id)?.times ?? 0;
  const lockOf = async (vmid: number, node: string) => {
    const r = await labExec({ stateDir: labDir, node, command: `pct config ${vmid}` });
    return typeof r === "string" ? null : (/^lock: (\S+)$/m.exec(r.stdout)?.[1] ?? null);
  };

  beforeAll(async () => {
    fleet = await startFleetBed(admin);
    ({ bed, db, lab, labDir, cluster, token } = fleet);
    receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        notes.push(JSON.parse(body) as Note);
        res.end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    for (const s of sessions.slice(0, 2)) {
      workers.push(await startServed(s, rules(notifyUrl), { token }, "127.0.0.1:0", fleet.workerArgs));
    }
  }, 120_000);

  afterAll(async () => {
    for (const w of workers)
      if (w.child.child.exitCode === null && w.child.child.signalCode === null) await w.stop();
    await new Promise((r) => receiver?.close(r));
    await fleet?.close();
  });

  it("a worker killed while its step is in flight: another takes the run over, sends nothing again, and pages a human", async () => {
    await addFault(labDir, { node: "pve1", match: "pct unlock 100", action: "hang", times: 1 });
    const res = await (workers[0] as Served).post("/v1/alerts", webhook([locked("100", "pve1")]), token);
    expect(res.json.results[0].verdict).toBe("queued");
    // The step's start is in PostgreSQL before its command is sent; the command hangs on pve1.
    const runId = await waitUntil("the step in flight", () => runWith("step-start", "unlock-100"), 30_000);
    const victim = await runnerOf(runId);
    victim.child.child.kill("SIGKILL");
    await victim.child.exited;
    const unlock = await addFault(labDir, {
      node: "pve1",
      match: "pct unlock 100",
      action: "fail",
      times: 5,
    });
    const relock = await addFault(labDir, { node: "pve1", match: "pct set 100", action: "fail", times: 5 });

    const row = await waitUntil(
      "the takeover",
      async () => {
        const r = await runRow(runId);
        return r?.ended ? r : undefined;
      },
      30_000,
    );
    expect(row).toMatchObject({ outcome: "rollback-incomplete", undone_by: null });
    expect(row?.taken_over_by).toMatch(/^worker-/);
    // The dead worker's graphile-worker job is released by the takeover (not after its 4 h lock)
    // and failed for good: the cluster's queue moves on, and the job is never run again.
    const job = await waitUntil("the dead worker's job released", async () => {
      const [j] = await query<{
        locked_by: string | null;
        last_error: string | null;
        attempts: number;
        max_attempts: number;
      }>("SELECT locked_by, last_error, attempts, max_attempts FROM graphile_worker.jobs WHERE key = $1", [
        'run|stuck-lock|lab|vmid="100"',
      ]);
      return j?.locked_by === null ? j : undefined;
    });
    expect(job).toEqual({
      locked_by: null,
      last_error: `worker ${await runWorker(runId)} died; run ${runId} was taken over: not run again`,
      attempts: 1,
      max_attempts: 1,
    });
    const end = (
      await query<{ entry: { message: string } }>(
        "SELECT entry FROM pvefix_journal WHERE run_id = $1 AND entry->>'type' = 'run-end'",
        [runId],
      )
    ).map((r) => r.entry.message);
    expect(end).toHaveLength(1);
    expect(end[0]).toMatch(/unlock-100 was in flight: it may or may not have reached the node/);
    const page = await waitUntil("the page", () =>
      notes.find((n) => n.event === "rollback-incomplete" && n.title.includes(runId)),
    );
    expect(page.title).toMatch(/needs a human/);
    // Nothing was sent again, nothing was undone, no undo run started.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await faultLeft(unlock.id)).toBe(5);
    expect(await faultLeft(relock.id)).toBe(5);
    expect(await query("SELECT 1 FROM pvefix_runs WHERE undo_of = $1", [runId])).toHaveLength(0);
    expect(await lockOf(100, "pve1")).toBe("backup");
    await clearFaults(labDir);
  });

  it("pvefix runs and show --database, from a third process, see the run of the dead worker and its takeover", async () => {
    const runs = await admin.pvefix(["runs", "--database", bed.url, "-o", "json"]);
    expect(runs.code, runs.stderr).toBe(0);
    const list = JSON.parse(runs.stdout) as { runs: Array<{ runId: string; outcome: string }> };
    const dead = list.runs.find((r) => r.outcome === "rollback-incomplete");
    expect(dead, runs.stdout).toBeDefined();
    // The state directory of this process has no runs: these came from the database.
    expect((await admin.pvefix(["runs", "-o", "json"])).stdout).not.toContain(dead!.runId);
    const show = await admin.pvefix(["show", dead!.runId.slice(0, 22), "--database", bed.url]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/taken over by worker/);
    expect(show.stdout).toMatch(/pct unlock 100|unlock-100/);
  });

  it("pvefix undo --database from a third process undoes the dead worker's run under the cluster's lock, mirrored too", async () => {
    const runId = (await runWith("step-start", "unlock-100")) as string;
    const plan = await admin.pvefix([
      ...["undo", runId, "--plan", "--database", bed.url],
      ...["-i", lab.inventoryPath, "--accept-new-host-keys", "-o", "json"],
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ plan: { steps: [{ id: "unlock-100" }] } });
    const undo = await admin.pvefix([
      "undo",
      runId,
      "--database",
      bed.url,
      "-i",
      lab.inventoryPath,
      "--accept-new-host-keys",
      "--unattended",
      "-o",
      "json",
    ]);
    expect(undo.code, undo.stderr + undo.stdout).toBe(0);
    const result = JSON.parse(undo.stdout) as { runId: string; outcome: string };
    expect(result.outcome).toBe("undone");
    // The hung unlock never ran: the undo's check found the lock in place and sent no `pct set`.
    expect(await lockOf(100, "pve1")).toBe("backup");
    const row = await runRow(runId);
    expect(row?.undone_by).toBe(result.runId);
    const mirrored = await query<{ entry: { type: string } }>(
      "SELECT entry FROM pvefix_journal WHERE run_id = $1 ORDER BY id",
      [result.runId],
    );
    expect(mirrored.map((r) => r.entry.type).at(0)).toBe("run-start");
    expect(mirrored.map((r) => r.entry.type).at(-1)).toBe("run-end");
    const again = await admin.pvefix(["undo", runId, "--database", bed.url, "-i", lab.inventoryPath]);
    // Nothing to undo is an answer, not a failure (exit 0), and nothing runs.
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stderr).toMatch(/already undone by/);
    expect(await query("SELECT 1 FROM pvefix_runs WHERE undo_of = $1", [runId])).toHaveLength(1);
  });

  it("a worker killed after its step and before its end: another rolls the run back from the journal in PostgreSQL", async () => {
    // A third worker; whichever of the two alive runs the job is the next victim. The node lock's
    // release on pve3 hangs, after the step.
    workers.push(
      await startServed(sessions[2]!, rules(notifyUrl), { token }, "127.0.0.1:0", fleet.workerArgs),
    );
    await addFault(labDir, { node: "pve3", match: "rmdir", action: "hang", times: 1 });
    const res = await (alive()[0] as Served).post("/v1/alerts", webhook([locked("103", "pve3")]), token);
    expect(res.json.results[0].verdict).toBe("queued");
    const runId = await waitUntil(
      "the step done",
      () => runWith("step-end", "unlock-103", "AND entry->>'status' = 'done'"),
      30_000,
    );
    expect(await lockOf(103, "pve3")).toBeNull();
    const victim = await runnerOf(runId);
    victim.child.child.kill("SIGKILL");
    await victim.child.exited;
    const unlock = await addFault(labDir, {
      node: "pve3",
      match: "pct unlock 103",
      action: "fail",
      times: 5,
    });

    const row = await waitUntil(
      "the rollback",
      async () => {
        const r = await runRow(runId);
        return r?.undone_by ? r : undefined;
      },
      60_000,
    );
    expect(row).toMatchObject({ ended: true, outcome: "interrupted" });
    const undo = (
      await query<{ outcome: string; worker_id: string }>(
        "SELECT outcome, worker_id FROM pvefix_runs WHERE run_id = $1",
        [row!.undone_by],
      )
    )[0];
    expect(undo).toEqual({ outcome: "undone", worker_id: row!.taken_over_by });
    expect(await lockOf(103, "pve3")).toBe("backup");
    // The step was never sent again; the undo ran once.
    expect(await faultLeft(unlock.id)).toBe(5);
    expect(await query("SELECT 1 FROM pvefix_runs WHERE undo_of = $1", [runId])).toHaveLength(1);
    const note = await waitUntil("the notification", () =>
      notes.find((n) => n.event === "failed" && n.title.includes(runId)),
    );
    expect(note.title).toMatch(/taken over; its rollback ended undone/);
    await clearFaults(labDir);
  });
});
