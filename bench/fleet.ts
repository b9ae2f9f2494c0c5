/**
 * `npm run bench:fleet`: the alert storm of issue 14 through real `pvefix serve` processes and
 * the real engine, on lab clusters served over SSH on loopback:
 *   1. W workers (`serve --database`, graphile-worker as the job engine) on one PostgreSQL
 *      (scripts/testbed/postgres-up.sh), each alert posted to one worker, round-robin;
 *   2. the embedded default: one `serve`, the in-process queue, the state directory;
 * the same alerts to both. Every alert names its own target (a guest the lab does not have, so
 * each run is the engine's probe and plan, refused, and changes nothing: the clusters are one
 * lab served under C names, and runs of different clusters must not meet on it). Prints
 * alert → done p50/p99 (the POST to the run's `run-end` in its journal), duplicate runs (a
 * target run twice), and overlaps (two runs at once on one cluster, from the journals).
 * Not a test: it prints figures (docs/performance.md) and asserts nothing.
 * Then the storm with killed workers (bench/fleet-kills.ts): 3 workers, one SIGKILLed every
 * --kill-every seconds (at most --max-kills), each replaced; every run read back from PostgreSQL.
 *   npm run bench:fleet -- [--alerts 200] [--clusters 10] [--workers 3] [--skip-embedded]
 *     [--kill-alerts 120] [--kill-clusters 6] [--kill-every 5] [--max-kills 8] [--skip-kills]
 *     [--skip-storm] [--full]
 * The defaults are modest; --full is the size (1,000 alerts over 20 clusters in both
 * storms, a kill every --kill-every seconds until the storm settles).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { listRuns, readJournal } from "../src/index.js";
import { resetLab, serveLab } from "../src/lab/index.js";
import { killStorm, printKills } from "./fleet-kills.js";

const { values } = parseArgs({
  options: {
    alerts: { type: "string" },
    clusters: { type: "string" },
    workers: { type: "string", default: "3" },
    "skip-embedded": { type: "boolean", default: false },
    /** The storm with killed workers (issue 14): its own alerts, clusters and kill cadence. */
    "kill-alerts": { type: "string" },
    "kill-clusters": { type: "string" },
    "kill-every": { type: "string", default: "5" },
    "max-kills": { type: "string" },
    "skip-kills": { type: "boolean", default: false },
    "skip-storm": { type: "boolean", default: false },
    /** The full size: 1,000 alerts over 20 clusters, in both storms, a kill every 5 s throughout. */
    full: { type: "boolean", default: false },
  },
});
const FULL = values.full;
// The default is modest (a few minutes on a loaded 2-core machine); --full is issue 14's size.
const ALERTS = Number(values.alerts ?? (FULL ? 1000 : 200));
const CLUSTERS = Number(values.clusters ?? (FULL ? 20 : 10));
const KILL_ALERTS = Number(values["kill-alerts"] ?? (FULL ? 1000 : 120));
const KILL_CLUSTERS = Number(values["kill-clusters"] ?? (FULL ? 20 : 6));
const MAX_KILLS = Number(values["max-kills"] ?? (FULL ? 1000 : 8));
const WORKERS = Number(values.workers);
const BIN = fileURLToPath(new URL("../bin/pvefix.js", import.meta.url));
const SCRIPTS = fileURLToPath(new URL("../scripts/testbed/", import.meta.url));
/** Deliveries in flight at once per worker, as an Alertmanager with several groups would send. */
const IN_FLIGHT_PER_WORKER = 8;

const RULES = `
version: 1
rules:
  - name: locked
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: true
policy:
  cooldown: 0s
  maxAttempts: 100
  maxQueue: 10000
  storm: { maxAlerts: 1000000, maxNodeShare: 1 }
`;

function temp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `pvefix-bench-fleet-${prefix}-`));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function pvefix(args: string[], stateDir: string): string {
  return execFileSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, PVEFIX_STATE_DIR: stateDir, NO_COLOR: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

interface Worker {
  stateDir: string;
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

async function startWorker(
  inventories: string,
  database: string | null,
  stateDir = temp("worker"),
  extra: string[] = [],
): Promise<Worker> {
  const rules = path.join(stateDir, "rules.yaml");
  fs.writeFileSync(rules, RULES);
  const args = [
    BIN,
    "serve",
    "--inventory-dir",
    inventories,
    "--accept-new-host-keys",
    "--rules",
    rules,
    "--listen",
    "127.0.0.1:0",
    ...(database ? ["--database", database] : []),
    ...extra,
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PVEFIX_STATE_DIR: stateDir, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /"listening":"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on("close", (code) => reject(new Error(`serve exited ${code}:\n${err}`)));
  });
  return { stateDir, url, child, stderr: () => err };
}

async function stopWorker(w: Worker): Promise<void> {
  if (w.child.exitCode !== null) return;
  const closed = new Promise((resolve) => w.child.on("close", resolve));
  w.child.kill("SIGTERM");
  await closed;
}

function target(i: number): { cluster: string; vmid: string } {
  return {
    cluster: `k${String(i % CLUSTERS).padStart(2, "0")}`,
    vmid: String(10_000 + Math.floor(i / CLUSTERS)),
  };
}

async function storm(
  label: string,
  workers: Worker[],
  token: string,
): Promise<{
  label: string;
  wallMs: number;
  runs: number;
  duplicates: number;
  overlaps: number;
  p50: number;
  p99: number;
  max: number;
  perWorker: number[];
  verdicts: Record<string, number>;
}> {
  const postedAt = new Map<string, number>();
  const verdicts: Record<string, number> = {};
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    workers.flatMap(() =>
      Array.from({ length: IN_FLIGHT_PER_WORKER }, async () => {
        for (;;) {
          // Round-robin: the alerts this worker gets are every WORKERS-th one.
          const i = next++;
          if (i >= ALERTS) return;
          const t = target(i);
          const mine = workers[i % workers.length] as Worker;
          postedAt.set(`${t.cluster}|${t.vmid}`, Date.now());
          const res = await fetch(`${mine.url}/v1/alerts`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({
              version: "4",
              groupKey: "bench",
              status: "firing",
              receiver: "pvefix",
              groupLabels: {},
              commonLabels: {},
              commonAnnotations: {},
              externalURL: "http://bench",
              alerts: [
                {
                  status: "firing",
                  annotations: {},
                  labels: { alertname: "PveGuestLocked", cluster: t.cluster, vmid: t.vmid, node: "pve1" },
                  startsAt: "2026-12-05T00:00:00Z",
                  fingerprint: `fp-${i}`,
                },
              ],
            }),
          });
          const body = (await res.json()) as { results?: Array<{ verdict: string }> };
          const v = res.status === 202 ? (body.results?.[0]?.verdict ?? "?") : `http-${res.status}`;
          verdicts[v] = (verdicts[v] ?? 0) + 1;
        }
      }),
    ),
  );
  const expected = verdicts.queued ?? 0;
  const deadline = Date.now() + 30 * 60_000;
  const ended = () => workers.flatMap((w) => listRuns(w.stateDir).filter((r) => r.outcome !== "running"));
  while (ended().length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  const wallMs = Date.now() - t0;
  const runs = workers.flatMap((w) =>
    listRuns(w.stateDir).map((r) => {
      const entries = readJournal(w.stateDir, r.runId);
      const start = entries.find((e) => e.type === "run-start");
      const end = entries.findLast((e) => e.type === "run-end");
      return {
        cluster: r.cluster,
        vmid: String((r.params as { vmid?: unknown }).vmid),
        start: Date.parse(start?.time ?? ""),
        end: Date.parse(end?.time ?? ""),
      };
    }),
  );
  const byTarget = new Map<string, number>();
  for (const r of runs)
    byTarget.set(`${r.cluster}|${r.vmid}`, (byTarget.get(`${r.cluster}|${r.vmid}`) ?? 0) + 1);
  const duplicates = [...byTarget.values()].filter((n) => n > 1).length;
  let overlaps = 0;
  const byCluster = new Map<string, typeof runs>();
  for (const r of runs) byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r]);
  for (const list of byCluster.values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++)
      if ((list[i] as (typeof runs)[number]).start < (list[i - 1] as (typeof runs)[number]).end) overlaps++;
  }
  const latencies = runs
    .map((r) => r.end - (postedAt.get(`${r.cluster}|${r.vmid}`) ?? Number.NaN))
    .filter((n) => Number.isFinite(n))
    .sort((a, b) => a - b);
  return {
    label,
    wallMs,
    runs: runs.length,
    duplicates,
    overlaps,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    perWorker: workers.map((w) => listRuns(w.stateDir).length),
    verdicts,
  };
}

function print(r: Awaited<ReturnType<typeof storm>>): void {
  console.log(
    `${r.label}: ${ALERTS} alerts over ${CLUSTERS} clusters in ${(r.wallMs / 1000).toFixed(1)} s; verdicts ${JSON.stringify(r.verdicts)}; runs ${r.runs} (per worker ${r.perWorker.join("/")}); duplicate runs ${r.duplicates}; two runs at once on a cluster ${r.overlaps}; alert → done p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms`,
  );
}

async function main(): Promise<void> {
  console.log(
    `bench/fleet.ts: ${ALERTS} alerts, ${CLUSTERS} clusters, ${WORKERS} workers; ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((n) => n.toFixed(1))
      .join(" ")}`,
  );
  const labDir = temp("lab");
  await resetLab({ stateDir: labDir, scenario: "stuck-lock" });
  const lab = await serveLab({ stateDir: labDir });
  const inventories = temp("inventories");
  const text = fs.readFileSync(lab.inventoryPath, "utf8");
  for (let c = 0; c < CLUSTERS; c++) {
    const name = `k${String(c).padStart(2, "0")}`;
    fs.writeFileSync(
      path.join(inventories, `${name}.yaml`),
      text.replace(/^cluster: .*$/m, `cluster: ${name}`),
    );
  }
  const pgState = temp("pg");
  const url =
    execFileSync("bash", [path.join(SCRIPTS, "postgres-up.sh"), "--state", pgState], { encoding: "utf8" })
      .trim()
      .split("\n")
      .at(-1) ?? "";
  const admin = temp("admin");
  const workers: Worker[] = [];
  try {
    pvefix(["db", "migrate", "--database", url], admin);
    const token = pvefix(["serve", "token", "add", "bench", "--role", "requester", "--database", url], admin);
    for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(inventories, url));
    if (!values["skip-storm"])
      print(await storm(`PostgreSQL + graphile-worker, ${WORKERS} workers`, workers, token));

    if (!values["skip-kills"]) {
      await Promise.all(workers.splice(0).map(stopWorker));
      printKills(
        await killStorm({
          labDir,
          inventoryText: text,
          url,
          start: (inventoryDir, extra) => startWorker(inventoryDir, url, temp("worker"), extra),
          stop: stopWorker,
          token,
          alerts: KILL_ALERTS,
          clusters: KILL_CLUSTERS,
          killEveryMs: Number(values["kill-every"]) * 1000,
          maxKills: MAX_KILLS,
          workers,
        }),
      );
    }
  } finally {
    await Promise.all(workers.map(stopWorker));
    execFileSync("bash", [path.join(SCRIPTS, "postgres-down.sh"), "--state", pgState, "--purge"]);
  }
  if (!values["skip-embedded"]) {
    const stateDir = temp("embedded");
    const token = pvefix(["serve", "token", "add", "bench", "--role", "requester"], stateDir);
    const embedded = await startWorker(inventories, null, stateDir);
    try {
      print(await storm("embedded default (state directory, in-process queue), 1 serve", [embedded], token));
    } finally {
      await stopWorker(embedded);
    }
  }
  await lab.close();
}

await main();
