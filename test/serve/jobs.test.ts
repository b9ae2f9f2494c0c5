/**
 * The job engine's pure parts: a job as data (its payload checked when it comes back from a
 * database), the in-process queue behind the engine interface, and the crontab arithmetic of
 * the database engine's sweeps.
 */
import { describe, expect, it } from "vitest";
import { type JobSpec, jobFromRow, rowOfJob } from "../../src/serve/jobs.js";
import { InProcessQueue } from "../../src/serve/queue.js";
import {
  checkSweeps,
  queueNameOf,
  sweepMatches,
  sweepMinutes,
} from "../../src/serve/store/postgres/graphile-queue.js";
import { poolsOfRun } from "../../src/serve/store/postgres/release-jobs.js";

const trigger = {
  rule: "locked",
  runbook: "stuck-lock",
  params: { vmid: "100" },
  cluster: "c1",
  key: 'stuck-lock|c1|vmid="100"',
  node: "pve1",
  unattended: true,
};
const remediate = (cluster: string, key: string): JobSpec => ({
  task: "remediate",
  cluster,
  key,
  payload: { trigger: { ...trigger, cluster }, origin: { by: "am" } },
});

describe("jobs as data", () => {
  it("survive the trip through a database row unchanged", () => {
    const job = remediate("c1", "run|a");
    const row = JSON.parse(JSON.stringify(rowOfJob(job)));
    expect(jobFromRow("remediate", row)).toEqual(job);
    const apply: JobSpec = {
      task: "apply-approved",
      cluster: "c1",
      key: "apply|abc123",
      payload: { approval: "abc123" },
    };
    expect(jobFromRow("apply-approved", JSON.parse(JSON.stringify(rowOfJob(apply))))).toEqual(apply);
  });

  it("ignore the crontab's own fields, and refuse a payload that is not a pvefix job, naming the field", () => {
    const sweep = { cluster: "c1", key: "sweep|c1", payload: { cluster: "c1" }, _cron: { ts: "x" } };
    expect(jobFromRow("sweep", sweep)).toEqual({
      task: "sweep",
      cluster: "c1",
      key: "sweep|c1",
      payload: { cluster: "c1" },
    });
    expect(() => jobFromRow("remediate", { cluster: "c1", key: "k", payload: { origin: {} } })).toThrow(
      /payload\.trigger/,
    );
    expect(() => jobFromRow("reboot-everything", sweep)).toThrow(/not a pvefix job payload/);
    expect(() => jobFromRow("sweep", null)).toThrow(/not a pvefix job payload/);
  });
});

describe("the in-process queue", () => {
  it("runs one job per cluster at a time, clusters in parallel, and answers duplicate and full", async () => {
    const q = new InProcessQueue(2);
    const running = new Map<string, number>();
    let overlap = 0;
    const order: string[] = [];
    const release: Array<() => void> = [];
    q.handle(async (job) => {
      const n = (running.get(job.cluster) ?? 0) + 1;
      running.set(job.cluster, n);
      if (n > 1) overlap++;
      await new Promise<void>((resolve) => release.push(resolve));
      order.push(job.key);
      running.set(job.cluster, n - 1);
    });
    expect(await q.enqueue(remediate("c1", "a"))).toBe("queued");
    expect(await q.enqueue(remediate("c1", "a"))).toBe("duplicate");
    expect(await q.enqueue(remediate("c1", "b"))).toBe("queued");
    expect(await q.enqueue(remediate("c1", "c"))).toBe("queued");
    expect(await q.enqueue(remediate("c1", "d"))).toBe("full");
    expect(await q.enqueue(remediate("c2", "e"))).toBe("queued");
    expect(q.running()).toBe(2);
    expect(await q.depth()).toBe(2);
    while (order.length < 4) {
      for (const r of release.splice(0)) r();
      await new Promise((r) => setTimeout(r, 1));
    }
    await q.idle();
    expect(overlap).toBe(0);
    expect(order.filter((k) => k !== "e")).toEqual(["a", "b", "c"]);
  });

  it("runs a sweep beside its cluster's running remediation (a sweep only reads)", async () => {
    const q = new InProcessQueue(5);
    const started: string[] = [];
    let finish: () => void = () => {};
    q.handle(async (job) => {
      started.push(job.task);
      if (job.task === "remediate") await new Promise<void>((resolve) => (finish = resolve));
    });
    await q.enqueue(remediate("c1", "a"));
    await q.enqueue({ task: "sweep", cluster: "c1", key: "sweep|c1", payload: { cluster: "c1" } });
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(["remediate", "sweep"]);
    finish();
    await q.idle();
  });

  it("holds jobs until the service's handler is set, then runs them", async () => {
    const q = new InProcessQueue(5);
    await q.enqueue(remediate("c1", "a"));
    const ran: string[] = [];
    q.handle(async (job) => {
      ran.push(job.key);
    });
    await q.idle();
    expect(ran).toEqual(["a"]);
  });
});

describe("the database engine's pure parts", () => {
  it("name one queue per cluster for what changes it, and a queue of their own for sweeps", () => {
    expect(queueNameOf({ task: "remediate", cluster: "c1" })).toBe("pvefix:c1");
    expect(queueNameOf({ task: "ask", cluster: "c1" })).toBe("pvefix:c1");
    expect(queueNameOf({ task: "apply-approved", cluster: "c1" })).toBe("pvefix:c1");
    expect(queueNameOf({ task: "sweep", cluster: "c1" })).toBe("pvefix-sweep:c1");
  });

  it("run sweeps on the crontab's minutes and refuse an every shorter than its one-minute tick", () => {
    expect(sweepMinutes(5 * 60_000)).toBe(5);
    expect(sweepMinutes(30_000)).toMatch(/whole number of minutes.*got 30000 ms/);
    expect(sweepMinutes(90_000)).toMatch(/whole number of minutes/);
    const ticks = [];
    for (let m = 0; m < 24 * 60; m++)
      if (sweepMatches(15, { hour: Math.floor(m / 60), min: m % 60 })) ticks.push(m);
    expect(ticks).toHaveLength(96);
    expect(ticks.slice(0, 3)).toEqual([0, 15, 30]);
    expect(() => checkSweeps([{ cluster: "c1", every: 60_000 }])).not.toThrow();
    expect(() =>
      checkSweeps([
        { cluster: "c1", every: 60_000 },
        { cluster: "c2", every: 10_000 },
      ]),
    ).toThrow(/sweeps\[1\]\.every: .*whole number of minutes/);
  });

  it("find the pool that ran a taken-over run from the job its journal recorded", async () => {
    const db = { pool: null, label: "unused", close: async () => {} } as never;
    expect(
      await poolsOfRun(db, { key: "k", job: { engine: "graphile-worker", id: "7", pool: "pool-abc" } }),
    ).toEqual(["pool-abc"]);
    expect(await poolsOfRun(db, { source: "serve", why: "x" })).toEqual([]);
  });
});
