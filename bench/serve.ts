/**
 * `npm run bench:serve` (and the end of `npm run bench`): `pvefix serve` in this process, over HTTP
 * on loopback, on the state-dir stores.
 *   1. alert received → remediation done, p50/p99, stuck-lock on the embedded lab (real engine);
 *   2. an alert storm of 1,000 alerts in 10 s over 20 clusters (a stand-in engine that takes
 *      50 ms a run): runs started against what the policy allows, duplicates, two runs at once
 *      on one cluster;
 *   3. 10,000 alerts: the process's heap and the policy file after 2,000 and after 10,000.
 * Not a test: it prints figures (docs/performance.md) and asserts nothing.
 *   npm run bench:serve -- [--latency-runs 30]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import type { RunResult } from "../src/index.js";
import { LabTransport, labInventory, resetLab } from "../src/lab/index.js";
import { hashToken } from "../src/serve/http/tokens.js";
import type { Logger } from "../src/serve/log.js";
import type { Remediator } from "../src/serve/remediator.js";
import { RulesFile } from "../src/serve/rules/schema.js";
import { startServe } from "../src/serve/start.js";
import { stateDirStores } from "../src/serve/store/state-dir.js";

const { values } = parseArgs({ options: { "latency-runs": { type: "string", default: "30" } } });
const TOKEN = "bench-token";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function temp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-bench-serve-"));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function webhook(alerts: Array<{ labels: Record<string, string>; fingerprint: string; startsAt: string }>) {
  return {
    version: "4",
    groupKey: "bench",
    status: "firing",
    receiver: "pvefix",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://bench",
    alerts: alerts.map((a) => ({ status: "firing", annotations: {}, ...a })),
  };
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/v1/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST /v1/alerts: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

/** A logger that tells the benchmark when runs end. */
function watchingLogger(onEnd: (fields: Record<string, unknown>) => void): Logger {
  return {
    log(_level, msg, fields = {}) {
      if (msg === "run ended") onEnd(fields);
    },
  };
}

/** The requester token every benchmark posts with. */
async function addBenchToken(stateDir: string): Promise<void> {
  await stateDirStores(stateDir).tokens.add({
    name: "bench",
    role: "requester",
    hash: hashToken(TOKEN),
    createdAt: "",
  });
}

/** A locked guest's alert runs stuck-lock on it, unattended. */
const LOCKED_RULE = {
  name: "locked",
  match: { alertname: "PveGuestLocked" },
  runbook: "stuck-lock",
  params: { vmid: "{{ labels.vmid }}" },
  unattended: true,
};

async function latency(runs: number): Promise<void> {
  const stateDir = temp();
  await resetLab({ stateDir, scenario: "stuck-lock" });
  await addBenchToken(stateDir);
  const rules = RulesFile.parse({
    version: 1,
    rules: [LOCKED_RULE],
    // Every run is a new alert for the same guest: no cooldown, cap or storm guard in the way.
    policy: { cooldown: "0s", maxAttempts: 100, storm: { maxAlerts: 1_000_000, maxNodeShare: 1 } },
  });
  let ended: ((f: Record<string, unknown>) => void) | undefined;
  const inv = labInventory(stateDir);
  const handle = await startServe({
    stateDir,
    rules,
    clusters: {
      names: () => [inv.cluster],
      nodeCount: () => inv.nodes.length,
      open: async () => ({
        cluster: inv.cluster,
        nodes: inv.nodes.map((n) => n.name),
        transport: new LabTransport({ stateDir }),
      }),
    },
    host: "127.0.0.1",
    port: 0,
    logger: watchingLogger((f) => ended?.(f)),
  });
  const times: number[] = [];
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    await resetLab({ stateDir, scenario: "stuck-lock" });
    const done = new Promise<Record<string, unknown>>((resolve) => {
      ended = resolve;
    });
    const started = performance.now();
    await post(
      handle.url,
      webhook([
        {
          labels: { alertname: "PveGuestLocked", vmid: "100", cluster: inv.cluster },
          fingerprint: `lat${i}`,
          startsAt: new Date(i * 1000).toISOString(),
        },
      ]),
    );
    const f = await done;
    times.push(performance.now() - started);
    outcomes[String(f.outcome)] = (outcomes[String(f.outcome)] ?? 0) + 1;
  }
  await handle.shutdown();
  fs.rmSync(stateDir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  console.log(
    `1. alert → done, stuck-lock on the embedded lab, ${runs} runs over HTTP: p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms; outcomes ${JSON.stringify(outcomes)}`,
  );
}

/** A stand-in engine: 50 ms a run, counting what it was asked and whether two ever ran on one cluster. */
function standIn() {
  const started: string[] = [];
  const active = new Map<string, number>();
  let overlaps = 0;
  const remediator: Remediator = {
    async run(o) {
      const n = (active.get(o.target.cluster) ?? 0) + 1;
      active.set(o.target.cluster, n);
      if (n > 1) overlaps += 1;
      started.push(`${o.target.cluster}|${JSON.stringify(o.params)}`);
      await new Promise((r) => setTimeout(r, 50));
      active.set(o.target.cluster, n - 1);
      return {
        runId: null,
        runbook: "stuck-lock",
        outcome: "done",
        params: o.params,
        steps: [],
        touchedFiles: [],
      } as RunResult;
    },
    plan: async () => ({ kind: "nothing-to-do", reason: "" }),
    apply: async () => {
      throw new Error("not in the bench");
    },
    undo: async () => {
      throw new Error("not in the bench");
    },
    diagnose: async () => {
      throw new Error("not in the bench");
    },
  };
  return { remediator, started, overlaps: () => overlaps };
}

/**
 * 1,000 deliveries in 10 s over 20 clusters, `guests` locked guests a cluster, each alert fired
 * `rounds` times (resolved and firing again: a new start) and delivered twice (Alertmanager
 * resends). What the policy admitted is read back from its state (targets with a start).
 */
async function storm(
  label: string,
  policy: Record<string, unknown>,
  guests: number,
  rounds: number,
): Promise<void> {
  const stateDir = temp();
  await addBenchToken(stateDir);
  const clusters = Array.from({ length: 20 }, (_, i) => `c${i + 1}`);
  const rules = RulesFile.parse({
    version: 1,
    rules: [LOCKED_RULE],
    policy,
  });
  const engine = standIn();
  const handle = await startServe({
    stateDir,
    rules,
    clusters: {
      names: () => clusters,
      nodeCount: () => 3,
      open: async (cluster) => ({ cluster, nodes: [], transport: { close: async () => {} } as never }),
    },
    host: "127.0.0.1",
    port: 0,
    logger: { log() {} },
    remediator: engine.remediator,
    // Alertmanager groups alerts into few requests; this storm sends one a request.
    rateLimit: 1_000_000,
  });
  const sends: Array<() => Promise<void>> = [];
  for (let round = 0; round < rounds; round++) {
    for (const cluster of clusters) {
      for (let g = 0; g < guests; g++) {
        const a = {
          labels: { alertname: "PveGuestLocked", cluster, vmid: String(100 + g) },
          fingerprint: `${cluster}-${g}`,
          startsAt: new Date(round * 60_000).toISOString(),
        };
        sends.push(
          () => post(handle.url, webhook([a])),
          () => post(handle.url, webhook([a])),
        );
      }
    }
  }
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (const [i, send] of sends.entries()) {
    const due = t0 + (i * 10_000) / sends.length;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(send());
  }
  await Promise.all(inflight);
  const sentMs = performance.now() - t0;
  await handle.idle();
  const state = await stateDirStores(stateDir).policy.read();
  const admitted = Object.values(state.targets).filter((t) => t.lastStartAt !== null).length;
  const paused = Object.keys(state.paused.clusters).length;
  const dupes = engine.started.length - new Set(engine.started).size;
  await handle.shutdown();
  fs.rmSync(stateDir, { recursive: true, force: true });
  console.log(
    `2${label}. storm, ${guests} guests × ${rounds} firings × 2 deliveries a cluster: ${sends.length} deliveries in ${(sentMs / 1000).toFixed(1)} s over ${clusters.length} clusters: runs started ${engine.started.length}, admitted by the policy ${admitted}, duplicate runs ${dupes}, two runs at once on a cluster ${engine.overlaps()}, clusters paused ${paused}`,
  );
}

async function memory(): Promise<void> {
  const stateDir = temp();
  await addBenchToken(stateDir);
  const rules = RulesFile.parse({
    version: 1,
    rules: [LOCKED_RULE],
    policy: { storm: { maxAlerts: 1_000_000, maxNodeShare: 1 }, cooldown: "1h" },
  });
  const engine = standIn();
  const handle = await startServe({
    stateDir,
    rules,
    clusters: {
      names: () => ["c1"],
      nodeCount: () => 3,
      open: async (cluster) => ({ cluster, nodes: [], transport: { close: async () => {} } as never }),
    },
    host: "127.0.0.1",
    port: 0,
    logger: { log() {} },
    remediator: engine.remediator,
    // Alertmanager groups alerts into few requests; this storm sends one a request.
    rateLimit: 1_000_000,
  });
  const heap: string[] = [];
  for (let i = 0; i < 10_000; i += 50) {
    const batch = Array.from({ length: 50 }, (_, j) => ({
      labels: { alertname: "PveGuestLocked", cluster: "c1", vmid: String(100 + ((i + j) % 900)) },
      fingerprint: `m${i + j}`,
      startsAt: new Date(i + j).toISOString(),
    }));
    await post(handle.url, webhook(batch));
    if ((i + 50) % 2000 === 0) {
      gc();
      const size = fs.statSync(path.join(stateDir, "serve", "policy.json")).size;
      heap.push(
        `${i + 50}: heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB, policy.json ${(size / 1e3).toFixed(0)} kB`,
      );
    }
  }
  await handle.shutdown();
  fs.rmSync(stateDir, { recursive: true, force: true });
  console.log(`3. 10,000 alerts (batches of 50): ${heap.join("; ")}`);
}

await latency(Number(values["latency-runs"]));
// Storm guard out of the way: one run per guest (100), every refiring in cooldown.
await storm("a", { storm: { maxAlerts: 1_000_000, maxNodeShare: 1 } }, 5, 5);
// The default storm guard (20 alerts in 10 min): each cluster pauses at its 21st alert.
await storm("b", {}, 25, 1);
await memory();
