/**
 * graphile-worker as the job engine of `pvefix serve --database`: three workers, each a separate
 * process with its own state directory, on one real PostgreSQL (scripts/testbed/postgres-up.sh),
 * serving three clusters (three labs served over real SSH on loopback). One named queue per
 * cluster: never two runs at once on a cluster, across workers; the job key: the same target
 * alerted to every worker is one job; the crontab: a sweep runs once per tick, not once per
 * worker; a killed worker's jobs, released by the takeover's function, are never run again and
 * free their cluster; a database without graphile-worker's schema is refused.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type LabServer, resetLab, serveLab } from "../../src/lab/index.js";
import type { JobSpec } from "../../src/serve/jobs.js";
import { silentLogger } from "../../src/serve/log.js";
import { pause, pauseOf } from "../../src/serve/policy/policy.js";
import { type Db, openDb, transaction } from "../../src/serve/store/postgres/db.js";
import { GraphileQueue } from "../../src/serve/store/postgres/graphile-queue.js";
import {
  checkJobSchema,
  knownJobMigrations,
  migrateJobSchema,
} from "../../src/serve/store/postgres/graphile-schema.js";
import { migrate } from "../../src/serve/store/postgres/migrations.js";
import {
  poolsOfRun,
  releaseDeadPools,
  releaseOnTakeover,
} from "../../src/serve/store/postgres/release-jobs.js";
import { PgPolicyStore } from "../../src/serve/store/postgres/stores.js";
import { cliSession, pvefixPidUnder } from "../integration/cli/pvefix.js";
import {
  journal,
  metric,
  runsOf,
  type Served,
  startServed,
  waitUntil,
  webhook,
} from "../integration/serve/served.js";
import { type PostgresBed, startPostgres } from "./postgres/bed.js";

const CLUSTERS = ["c1", "c2", "c3"];

// No cooldown and a large storm limit: what keeps runs apart here is the job engine alone.
const RULES = `
version: 1
rules:
  - name: locked
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: true
sweeps:
  - cluster: c1
    every: 1m
policy:
  cooldown: 0s
  maxAttempts: 100
  storm: { maxAlerts: 1000, maxNodeShare: 1 }
`;

describe("graphile-worker as the job engine of three serve workers", () => {
  const sessions = [cliSession(), cliSession(), cliSession()];
  const admin = cliSession();
  let bed: PostgresBed;
  let db: Db;
  const labs: LabServer[] = [];
  const labDirs: Record<string, string> = {};
  let inventories: string;
  let token: string;
  const workers: Served[] = [];
  /** Every worker started, including one a test kills. */
  const everyWorker: Served[] = [];

  const locked = (cluster: string, vmid: string, fingerprint: string) => ({
    labels: { alertname: "PveGuestLocked", vmid, cluster, severity: "warning", node: "pve1" },
    fingerprint,
  });
  const allRuns = () =>
    sessions.flatMap((s) => runsOf(s.stateDir).map((r) => ({ ...r, stateDir: s.stateDir })));
  const ended = () => allRuns().filter((r) => r.outcome !== "running");

  beforeAll(async () => {
    bed = await startPostgres();
    const migrated = await admin.pvefix(["db", "migrate", "--database", bed.url]);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/graphile-worker 0\.17\.\d+ job schema: installed; now at \d+/);
    const added = await admin.pvefix([
      "serve",
      "token",
      "add",
      "am",
      "--role",
      "requester",
      "--database",
      bed.url,
    ]);
    expect(added.code, added.stderr).toBe(0);
    token = added.stdout.trim();
    db = await openDb(bed.url, { max: 2 });
    inventories = fs.mkdtempSync(path.join(admin.stateDir, "inventories-"));
    for (const cluster of CLUSTERS) {
      const dir = fs.mkdtempSync(path.join(admin.stateDir, `lab-${cluster}-`));
      await resetLab({ stateDir: dir, scenario: "stuck-lock" });
      const lab = await serveLab({ stateDir: dir });
      labs.push(lab);
      labDirs[cluster] = dir;
      const text = fs.readFileSync(lab.inventoryPath, "utf8");
      expect((parse(text) as { cluster: string }).cluster).toBeTruthy();
      fs.writeFileSync(
        path.join(inventories, `${cluster}.yaml`),
        text.replace(/^cluster: .*$/m, `cluster: ${cluster}`),
      );
    }
    for (const s of sessions) {
      workers.push(
        await startServed(s, RULES, { token }, "127.0.0.1:0", [
          "--inventory-dir",
          inventories,
          "--accept-new-host-keys",
          "--database",
          bed.url,
        ]),
      );
    }
    everyWorker.push(...workers);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(labs.map((l) => l.close()));
    await db?.close();
    await bed?.stop();
  });

  it("the same target alerted to every worker at the same moment is one job and one run", async () => {
    // Three fingerprints: the policy accepts each; only the job key makes them one.
    const answers = await Promise.all(
      workers.map((w, i) => w.post("/v1/alerts", webhook([locked("c2", "100", `fp-same-${i}`)]), token)),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(answers.map((a) => a.json.results[0].verdict).sort()).toEqual([
      "duplicate-queued",
      "duplicate-queued",
      "queued",
    ]);
    const run = await waitUntil("the run to end", () => ended().find((r) => r.cluster === "c2"), 60_000);
    expect(run.outcome).toBe("done");
    await new Promise((r) => setTimeout(r, 2_000));
    expect(allRuns().filter((r) => r.cluster === "c2")).toHaveLength(1);
  });

  it("many alerts over three clusters from every worker: each runs once, never two at once on one cluster", async () => {
    const before = allRuns().length;
    const vmids = ["101", "102", "103", "104", "105", "106"];
    const posts = [];
    let n = 0;
    for (const vmid of vmids)
      for (const cluster of CLUSTERS) {
        const w = workers[n++ % workers.length] as Served;
        posts.push(
          w.post("/v1/alerts", webhook([locked(cluster, vmid, `fp-many-${cluster}-${vmid}`)]), token),
        );
      }
    const answers = await Promise.all(posts);
    expect(answers.map((a) => a.json.results[0].verdict)).toEqual(answers.map(() => "queued"));
    const expected = before + vmids.length * CLUSTERS.length;
    await waitUntil(
      "every run to end",
      () => (allRuns().length === expected && ended().length === expected) || undefined,
      120_000,
    );
    await new Promise((r) => setTimeout(r, 2_000));
    const runs = allRuns();
    expect(runs).toHaveLength(expected);
    // Each target once.
    const targets = runs.map((r) => `${r.cluster}|${JSON.stringify(r.params)}`);
    expect(new Set(targets).size).toBe(targets.length);
    // Never two at once on one cluster: the journals' run-start → run-end intervals, across workers.
    for (const cluster of CLUSTERS) {
      const spans = runs
        .filter((r) => r.cluster === cluster)
        .map((r) => {
          const entries = journal(r.stateDir, r.runId);
          const start = entries.find((e) => e.type === "run-start");
          const end = entries.findLast((e) => e.type === "run-end");
          return { start: Date.parse(start?.time ?? ""), end: Date.parse(end?.time ?? "") };
        })
        .sort((a, b) => a.start - b.start);
      for (const s of spans) expect(s.end).toBeGreaterThanOrEqual(s.start);
      for (let i = 1; i < spans.length; i++)
        expect(
          spans[i]!.start,
          `${cluster}: run ${i} started before run ${i - 1} ended`,
        ).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    }
    // Nothing left in the queue, and the queue depth says so on every worker.
    for (const w of workers) {
      expect(JSON.parse((await w.get("/healthz")).text).queue).toBe(0);
      expect(metric((await w.get("/metrics", token)).text, /^pvefix_queue_depth /)).toBe(0);
    }
  });

  it("a killed worker's job, released by the takeover's function, is not run again and frees its cluster", async () => {
    // pct unlock hangs once on c3's lab: the run that meets it stays in its step until its worker dies.
    const fault = await admin.pvefix(
      [
        "lab",
        "fault",
        "add",
        "--node",
        "pve1",
        "--match",
        "pct unlock 100",
        "--action",
        "hang",
        "--times",
        "1",
      ],
      { env: { PVEFIX_STATE_DIR: labDirs.c3 as string } },
    );
    expect(fault.code, fault.stderr).toBe(0);
    const first = await workers[0]!.post("/v1/alerts", webhook([locked("c3", "100", "fp-hang")]), token);
    expect(first.json.results[0].verdict).toBe("queued");
    const stuck = await waitUntil(
      "the run to start",
      () => allRuns().find((r) => r.cluster === "c3" && r.outcome === "running"),
      60_000,
    );
    // In its step (whose start is in PostgreSQL before the hung command was sent): a job whose
    // run never got that far sent nothing, and would be given back to the queue instead.
    await waitUntil(
      "the run's step in PostgreSQL",
      async () =>
        (
          await db.pool.query(
            "SELECT 1 FROM pvefix_journal WHERE run_id = $1 AND entry->>'type' = 'step-start'",
            [stuck.runId],
          )
        ).rowCount || undefined,
      60_000,
    );
    // The worker whose state directory has the run is the one running it.
    const owner = everyWorker[sessions.findIndex((s) => s.stateDir === stuck.stateDir)] as Served;
    const start = journal(stuck.stateDir, stuck.runId).find((e) => e.type === "run-start");
    expect(start?.type === "run-start" && start.trigger?.job).toMatchObject({ engine: "graphile-worker" });
    process.kill(pvefixPidUnder(owner.child.child.pid as number), "SIGKILL");
    await owner.child.exited;
    // The dead worker's job holds c3's queue: a new alert on c3 waits.
    const next = await workers
      .find((w) => w !== owner)!
      .post("/v1/alerts", webhook([locked("c3", "107", "fp-after")]), token);
    expect(next.json.results[0].verdict).toBe("queued");
    await new Promise((r) => setTimeout(r, 3_000));
    expect(
      allRuns().filter((r) => r.cluster === "c3" && JSON.stringify(r.params).includes("107")),
    ).toHaveLength(0);
    // The takeover's part (fleet-journal) decided the worker is dead: release its pool.
    const trigger = (start?.type === "run-start" ? start.trigger : {}) ?? {};
    const pools = await poolsOfRun(db, trigger);
    expect(pools).toHaveLength(1);
    // The hook finds the same pool from the run's key alone (a journal without `trigger.job`).
    const { job: _recorded, ...withoutJob } = trigger;
    expect(await poolsOfRun(db, withoutJob)).toEqual(pools);
    // As the takeover will call it; it never releases its own worker's pool.
    const hook = (own: string) =>
      releaseOnTakeover({
        db,
        runs: { triggerOf: async (runId) => (runId === stuck.runId ? withoutJob : null) },
        ownPool: () => own,
      });
    expect(await hook(pools[0] as string)("worker-a", stuck.runId)).toEqual([]);
    const released = await hook("pool-of-the-taker")("worker-a", stuck.runId);
    expect(released.map((j) => j.key)).toContain('run|stuck-lock|c3|vmid="100"');
    // Idempotent: a second release (another run of the same dead worker) finds nothing.
    expect(await releaseDeadPools(db, pools, "again")).toEqual([]);
    const reason = `worker worker-a died; run ${stuck.runId} was taken over: not run again`;
    // c3's queue moves again; the dead job stays failed with the reason, and is not run again.
    await waitUntil(
      "the waiting job to run",
      () => ended().find((r) => r.cluster === "c3" && JSON.stringify(r.params).includes("107")),
      60_000,
    );
    const rows = await transaction(db, (c) =>
      c.query<{
        attempts: number;
        max_attempts: number;
        last_error: string | null;
        locked_by: string | null;
      }>("SELECT attempts, max_attempts, last_error, locked_by FROM graphile_worker.jobs WHERE key = $1", [
        'run|stuck-lock|c3|vmid="100"',
      ]),
    );
    expect(rows.rows).toEqual([{ attempts: 1, max_attempts: 1, last_error: reason, locked_by: null }]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(allRuns().filter((r) => r.cluster === "c3" && r.params.vmid === 100)).toHaveLength(1);
    // The failed job is history, not a duplicate: the same target alerted again is queued.
    const again = await workers
      .find((w) => w !== owner)!
      .post("/v1/alerts", webhook([locked("c3", "100", "fp-hang-again")]), token);
    expect(again.json.results[0].verdict).toBe("queued");
    workers.splice(workers.indexOf(owner), 1);
  });

  it("SIGTERM to a worker mid-run: its run ends rolled back, it exits 0, and its cluster's waiting jobs run on the others", async () => {
    const fault = await admin.pvefix(
      [
        "lab",
        "fault",
        "add",
        "--node",
        "pve1",
        "--match",
        "pct unlock 100",
        "--action",
        "hang",
        "--times",
        "1",
      ],
      { env: { PVEFIX_STATE_DIR: labDirs.c1 as string } },
    );
    expect(fault.code, fault.stderr).toBe(0);
    const first = await workers[0]!.post("/v1/alerts", webhook([locked("c1", "100", "fp-term")]), token);
    expect(first.json.results[0].verdict).toBe("queued");
    const inStep = await waitUntil(
      "the run to start its step",
      () =>
        allRuns().find(
          (r) =>
            r.cluster === "c1" &&
            r.outcome === "running" &&
            journal(r.stateDir, r.runId).some((e) => e.type === "step-start"),
        ),
      60_000,
    );
    const owner = everyWorker[sessions.findIndex((s) => s.stateDir === inStep.stateDir)] as Served;
    const other = workers.find((w) => w !== owner) as Served;
    for (const vmid of ["108", "109"]) {
      const r = await other.post("/v1/alerts", webhook([locked("c1", vmid, `fp-term-${vmid}`)]), token);
      expect(r.json.results[0].verdict).toBe("queued");
    }
    owner.child.child.kill("SIGTERM");
    const exited = await owner.child.exited;
    expect(exited.code, exited.stderr).toBe(0);
    workers.splice(workers.indexOf(owner), 1);
    const run = runsOf(inStep.stateDir).find((r) => r.runId === inStep.runId)!;
    expect(["failed-rolled-back", "interrupted"]).toContain(run.outcome);
    if (run.outcome === "interrupted") expect(run.undoneBy).not.toBeNull();
    // The jobs it had not started were never its own: another worker runs them.
    const later = await waitUntil(
      "the waiting jobs to run elsewhere",
      () => {
        const done = ended().filter((r) => r.cluster === "c1" && /10[89]/.test(JSON.stringify(r.params)));
        return done.length === 2 ? done : undefined;
      },
      60_000,
    );
    for (const r of later) expect(r.stateDir).not.toBe(inStep.stateDir);
  });

  it("a sweep of the rules runs from the crontab once per tick across the workers, not once per worker", async () => {
    // Every worker's output, the killed one's too: a tick it took before it died counts.
    const ticks = () =>
      everyWorker.flatMap((w) =>
        [...w.child.output().matchAll(/"msg":"sweep tick","cluster":"c1","tick":"([^"]+)"/g)].map(
          (m) => m[1],
        ),
      );
    await waitUntil("two crontab ticks", () => (new Set(ticks()).size >= 2 ? true : undefined), 150_000);
    const seen = ticks();
    expect(seen.length, seen.join(", ")).toBe(new Set(seen).size);
  });
});

describe("serve --database on a database without graphile-worker's schema", () => {
  const cli = cliSession();
  let bed: PostgresBed;
  beforeAll(async () => {
    bed = await startPostgres();
  });
  afterAll(async () => {
    await bed?.stop();
  });

  it("refuses to start, saying what is missing and what to run", async () => {
    const url = await bed.database("no_jobs");
    const db = await openDb(url, { max: 1 });
    try {
      await migrate(db); // pvefix's own migrations only
    } finally {
      await db.close();
    }
    const rules = path.join(cli.stateDir, "rules.yaml");
    fs.writeFileSync(rules, "version: 1\n");
    const r = await cli.pvefix([
      "serve",
      "--lab",
      "--rules",
      rules,
      "--listen",
      "127.0.0.1:0",
      "--database",
      url,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lacks graphile-worker's job schema \(graphile_worker\)/);
    expect(r.stderr).toMatch(/pvefix db migrate/);
    expect(r.stdout).not.toMatch(/listening/);
  });
});

describe("the graphile-worker queue's enqueue, from three workers' pools", () => {
  let bed: PostgresBed;
  const opened: Db[] = [];
  beforeAll(async () => {
    bed = await startPostgres();
  });
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()));
    await bed?.stop();
  });
  const job = (cluster: string, key: string): JobSpec => ({
    task: "remediate",
    cluster,
    key,
    payload: {
      trigger: {
        rule: "r",
        runbook: "stuck-lock",
        params: { vmid: "100" },
        cluster,
        key,
        node: null,
        unattended: true,
      },
      origin: {},
    },
  });

  it("one job per key across workers, queue-full per cluster, and a depth every worker agrees on", async () => {
    const url = await bed.database("enqueue");
    const queues: GraphileQueue[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await openDb(url, { max: 4 });
      opened.push(d);
      if (i === 0) await migrateJobSchema(d, url);
      // Never started: these only enqueue, so every job stays waiting.
      queues.push(
        new GraphileQueue({ db: d, url, logger: silentLogger, maxPerCluster: 3, concurrency: 1, sweeps: [] }),
      );
    }
    const same = await Promise.all(
      queues.flatMap((q) => [q.enqueue(job("c1", "run|a")), q.enqueue(job("c1", "run|a"))]),
    );
    expect(same.sort()).toEqual(["duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "queued"]);
    // Five different keys on c1 from three workers at once: the cluster's limit (3) holds.
    const many = await Promise.all(
      ["b", "c", "d", "e", "f"].map((k, i) => queues[i % 3]!.enqueue(job("c1", `run|${k}`))),
    );
    expect(many.filter((v) => v === "queued")).toHaveLength(2);
    expect(many.filter((v) => v === "full")).toHaveLength(3);
    // Another cluster has its own limit; a sweep is not a job waiting for its cluster.
    expect(await queues[1]!.enqueue(job("c2", "run|a2"))).toBe("queued");
    expect(
      await queues[2]!.enqueue({ task: "sweep", cluster: "c1", key: "sweep|c1", payload: { cluster: "c1" } }),
    ).toBe("queued");
    expect(await Promise.all(queues.map((q) => q.depth()))).toEqual([4, 4, 4]);
    const rows = await transaction(opened[0]!, (c) =>
      c.query<{ queue_name: string; n: string; max: number }>(
        "SELECT queue_name, count(*) AS n, max(max_attempts) AS max FROM graphile_worker.jobs GROUP BY queue_name ORDER BY queue_name",
      ),
    );
    expect(rows.rows).toEqual([
      { queue_name: "pvefix-sweep:c1", n: "1", max: 1 },
      { queue_name: "pvefix:c1", n: "3", max: 1 },
      { queue_name: "pvefix:c2", n: "1", max: 1 },
    ]);
    for (const q of queues) await q.close();
    expect(await queues[0]!.enqueue(job("c3", "run|z"))).toBe("closed");
  });

  it("a job queued in the policy's transaction commits with the policy's change, or vanishes with it", async () => {
    const url = await bed.database("atomic");
    const d = await openDb(url, { max: 4 });
    opened.push(d);
    await migrate(d);
    await migrateJobSchema(d, url);
    const policy = new PgPolicyStore(d);
    const queue = new GraphileQueue({
      db: d,
      url,
      logger: silentLogger,
      maxPerCluster: 3,
      concurrency: 1,
      sweeps: [],
    });
    const jobs = async (key: string) =>
      (await transaction(d, (c) => c.query("SELECT 1 FROM graphile_worker.jobs WHERE key = $1", [key])))
        .rowCount;
    const paused = async () => pauseOf(await policy.read(), "c9") !== null;
    // The worker dies (or loses the database) after queueing the job, before the commit.
    await expect(
      policy.update(
        (s) => ({ state: pause(s, "c9", "test", "admitted", Date.now()), result: null }),
        async (_result, tx) => {
          expect(await queue.enqueue(job("c9", "run|atomic"), tx)).toBe("queued");
          throw new Error("the worker died before the commit");
        },
      ),
    ).rejects.toThrow(/died before the commit/);
    expect(await paused()).toBe(false);
    expect(await jobs("run|atomic")).toBe(0);
    // The same admission again commits both.
    await policy.update(
      (s) => ({ state: pause(s, "c9", "test", "admitted", Date.now()), result: null }),
      async (_result, tx) => {
        expect(await queue.enqueue(job("c9", "run|atomic"), tx)).toBe("queued");
      },
    );
    expect(await paused()).toBe(true);
    expect(await jobs("run|atomic")).toBe(1);
    await queue.close();
  });

  it("a job schema behind this binary's graphile-worker is refused, naming both migrations", async () => {
    const url = await bed.database("behind");
    const d = await openDb(url, { max: 2 });
    opened.push(d);
    await expect(checkJobSchema(d)).rejects.toThrow(/lacks graphile-worker's job schema/);
    const { after } = await migrateJobSchema(d, url);
    expect(after).toBe(knownJobMigrations());
    await expect(checkJobSchema(d)).resolves.toBeUndefined();
    await transaction(d, (c) => c.query("DELETE FROM graphile_worker.migrations WHERE id = $1", [after]));
    await expect(checkJobSchema(d)).rejects.toThrow(
      new RegExp(`at migration ${after - 1}, this pvefix's graphile-worker 0\\.17\\.\\d+ needs ${after}`),
    );
  });
});
