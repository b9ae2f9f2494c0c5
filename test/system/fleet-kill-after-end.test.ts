/**
 * Found by bench/fleet.ts's killed-worker storm: a worker SIGKILLed after its run's `run-end`
 * reached PostgreSQL but before graphile-worker marked the run's job complete. The takeover only
 * looks at runs that did not end, so nothing releases the dead worker's job: it and its cluster's
 * queue stay locked for graphile-worker's 4-hour lease, and every later alert of that cluster
 * waits that long. The window is widened here, deterministically: the run's notification goes
 * to a receiver that never answers (the job awaits it for 5 s after `run-end`).
 */

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/serve/store/postgres/db.js";
import { cliSession } from "../integration/cli/pvefix.js";
import { type Served, startServed, waitUntil, webhook } from "../integration/serve/served.js";
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
  cooldown: 0s
  storm: { maxAlerts: 50, maxNodeShare: 1 }
notify:
  - url: ${notifyUrl}
`;

describe("a worker killed after its run ended, before its job was marked complete", () => {
  const sessions = [cliSession(), cliSession()];
  const admin = cliSession();
  let fleet: FleetBed;
  let db: Db;
  let cluster: string;
  let token: string;
  let blackHole: http.Server;
  let notifyUrl: string;
  const workers: Served[] = [];
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await db.pool.query(sql, params)).rows as T[];
  const runOf = async (vmid: string) =>
    (
      await query<{ run_id: string; ended: boolean; pid: number }>(
        `SELECT r.run_id, r.ended, w.pid FROM pvefix_runs r JOIN pvefix_workers w USING (worker_id)
          WHERE r.start->'params'->>'vmid' = $1 AND r.undo_of IS NULL`,
        [vmid],
      )
    )[0];
  const locked = (vmid: string) => ({
    labels: { alertname: "PveGuestLocked", vmid, cluster, severity: "warning", node: "pve1" },
    fingerprint: `fp-${vmid}`,
  });

  beforeAll(async () => {
    fleet = await startFleetBed(admin);
    ({ db, cluster, token } = fleet);
    // Takes the notification and never answers: the job waits for the notifier's 5 s timeout.
    blackHole = http.createServer(() => undefined);
    await new Promise<void>((r) => blackHole.listen(0, "127.0.0.1", r));
    notifyUrl = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}/hook`;
    const args = fleet.workerArgs;
    for (const s of sessions)
      workers.push(await startServed(s, rules(notifyUrl), { token }, "127.0.0.1:0", args));
  }, 120_000);

  afterAll(async () => {
    for (const w of workers)
      if (w.child.child.exitCode === null && w.child.child.signalCode === null) await w.stop();
    blackHole?.closeAllConnections();
    await new Promise((r) => blackHole?.close(r));
    await fleet?.close();
  });

  it("releases the dead worker's job, so the cluster's next alert runs on the other worker", async () => {
    // A guest the lab does not have: the run is refused, and its needs-human note hangs.
    const first = await (workers[0] as Served).post("/v1/alerts", webhook([locked("9001")]), token);
    expect(first.json.results[0].verdict).toBe("queued");
    const ended = await waitUntil("the first run ended", async () => {
      const r = await runOf("9001");
      return r?.ended ? r : undefined;
    });
    const [job] = await query<{ locked_by: string | null }>(
      "SELECT locked_by FROM graphile_worker.jobs WHERE key LIKE 'run|%9001%'",
    );
    expect(job?.locked_by, "the job is still held while its notification waits").not.toBeNull();
    const victim = workers.find((w) => w.child.child.pid === ended.pid) as Served;
    const survivor = workers.find((w) => w !== victim) as Served;
    victim.child.child.kill("SIGKILL");
    await victim.child.exited;

    const second = await survivor.post("/v1/alerts", webhook([locked("9002")]), token);
    expect(second.json.results[0].verdict).toBe("queued");
    // Takeover after 4 s, with a generous margin for a loaded machine; without the release this
    // waits graphile-worker's 4 hours.
    const next = await waitUntil(
      "the cluster's next run",
      async () => {
        const r = await runOf("9002");
        return r?.ended ? r : undefined;
      },
      60_000,
    );
    expect(next.pid).toBe(survivor.child.child.pid);
    // The first job is not run again.
    expect(await query("SELECT 1 FROM pvefix_runs WHERE start->'params'->>'vmid' = '9001'")).toHaveLength(1);
  }, 120_000);

  // FAILS (open, found by bench/fleet.ts): a pool named by no run. A worker killed while its job
  // waits before `run-start` (here: for the cluster's advisory lock, which the test holds), and
  // that never started a run before, left no trace of its graphile-worker pool in pvefix's
  // tables: neither the takeover nor releaseSilentWorkers can tell its pool is dead, so its job
  // and its cluster's queue stay locked for graphile-worker's 4 hours. The fix needs the pool id
  // on the worker's row (a migration: pvefix_workers.pool), written when the pool starts.
  it("gives back the job of a worker killed before its first run started: it runs once, and the cluster's next alert runs", async () => {
    const survivor = workers.find(
      (w) => w.child.child.exitCode === null && w.child.child.signalCode === null,
    );
    await survivor?.stop();
    const args = fleet.workerArgs;
    const fresh = await startServed(cliSession(), rules(notifyUrl), { token }, "127.0.0.1:0", args);
    workers.push(fresh);
    const hold = await db.pool.connect();
    try {
      await hold.query("SELECT pg_advisory_lock($1, hashtext($2))", [0x70766663, cluster]);
      const first = await fresh.post("/v1/alerts", webhook([locked("9003")]), token);
      expect(first.json.results[0].verdict).toBe("queued");
      await waitUntil("the job held before its run started", async () => {
        const [j] = await query<{ locked_by: string | null }>(
          "SELECT locked_by FROM graphile_worker.jobs WHERE key LIKE 'run|%9003%'",
        );
        return j?.locked_by ? j : undefined;
      });
      fresh.child.child.kill("SIGKILL");
      await fresh.child.exited;
    } finally {
      await hold.query("SELECT pg_advisory_unlock_all()");
      hold.release();
    }
    const next = await startServed(cliSession(), rules(notifyUrl), { token }, "127.0.0.1:0", args);
    workers.push(next);
    const second = await next.post("/v1/alerts", webhook([locked("9004")]), token);
    expect(second.json.results[0].verdict).toBe("queued");
    await waitUntil(
      "the cluster's next run",
      async () => {
        const r = await runOf("9004");
        return r?.ended ? r : undefined;
      },
      60_000,
    );
    // The held job had sent nothing (no run of it started): it ran again, once, not lost.
    const held = await waitUntil(
      "the held job's run",
      async () => {
        const r = await runOf("9003");
        return r?.ended ? r : undefined;
      },
      60_000,
    );
    expect(held.ended).toBe(true);
    expect(await query("SELECT 1 FROM pvefix_runs WHERE start->'params'->>'vmid' = '9003'")).toHaveLength(1);
  }, 180_000);
});
