/**
 * The storm with killed workers (issue 14), for bench/fleet.ts: W `serve --database` workers with
 * short heartbeats (`--heartbeat 1s --takeover-after 4s`), one SIGKILLed every few seconds and a
 * fresh one started in its place, while an alert storm runs on its own clusters (x00…). A third
 * of the alerts name a guest the lab really has with a stale backup lock (the run unlocks it);
 * a third of those hang on `pct unlock` (the lab's `hang` fault, once), so kills land mid-step;
 * a few node-lock releases (`rmdir`) hang too, so kills land after a step and before its end.
 * The victim is a worker with a step in flight when there is one, else one with a run open,
 * else the next one. Everything is read back from PostgreSQL (pvefix_runs, pvefix_journal,
 * graphile_worker.jobs) at the end.
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { addFault, updateLab } from "../src/lab/index.js";
import { staleBackupContainer } from "../src/lab/scenarios/build/locks.js";
import { openDb } from "../src/serve/store/postgres/db.js";

interface KillWorker {
  url: string;
  child: ChildProcess;
}

export interface KillStormOptions<W extends KillWorker> {
  labDir: string;
  /** The lab's inventory; written once per cluster of this storm under its own name. */
  inventoryText: string;
  url: string;
  token: string;
  alerts: number;
  clusters: number;
  killEveryMs: number;
  maxKills: number;
  start: (inventoryDir: string, extra: string[]) => Promise<W>;
  stop: (w: W) => Promise<void>;
  /** Filled with the workers alive; the caller stops them if this throws. */
  workers: W[];
}

const WORKERS = 3;
const POSTERS = 6;
const FLEET_ARGS = ["--heartbeat", "1s", "--takeover-after", "4s"];
const VMID_BASE = 20_000;
const NODES = ["pve1", "pve2", "pve3"];

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (w: KillWorker) => w.child.exitCode === null && w.child.signalCode === null;

interface Target {
  cluster: string;
  vmid: string;
  node: string;
  /** The lab has this guest, locked by a backup that died: the run has a step to do. */
  real: boolean;
  /** Its `pct unlock` hangs once (until the command's 30 s timeout, or a kill). */
  hang: boolean;
}

function targetOf(i: number, clusters: number): Target {
  const real = i % 3 === 0;
  return {
    cluster: `x${String(i % clusters).padStart(2, "0")}`,
    vmid: String(VMID_BASE + i),
    node: NODES[Math.floor(i / 3) % NODES.length] as string,
    real,
    hang: i % 9 === 0,
  };
}

interface Kill {
  pid: number;
  workerId: string | null;
  at: number;
  /** What the victim was doing, from the journal in PostgreSQL at the moment of the kill. */
  where: "mid-step" | "mid-run" | "idle";
}

export interface KillStormResult {
  alerts: number;
  clusters: number;
  wallMs: number;
  finished: boolean;
  verdicts: Record<string, number>;
  postRetries: number;
  kills: Kill[];
  runsStarted: number;
  undoRuns: number;
  endings: Record<string, number>;
  unended: string[];
  lost: string[];
  accepted: number;
  deduped: number;
  twiceRuns: string[];
  twiceSteps: string[];
  stepsCheckedAfterTakeover: number;
  takeovers: number;
  takeoverMs: number[];
  jobsLeft: Record<string, number>;
  overlaps: number;
}

export async function killStorm<W extends KillWorker>(o: KillStormOptions<W>): Promise<KillStormResult> {
  const inventoryDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-bench-fleet-kill-inv-"));
  for (let c = 0; c < o.clusters; c++)
    fs.writeFileSync(
      path.join(inventoryDir, `x${String(c).padStart(2, "0")}.yaml`),
      o.inventoryText.replace(/^cluster: .*$/m, `cluster: x${String(c).padStart(2, "0")}`),
    );
  const targets = Array.from({ length: o.alerts }, (_, i) => targetOf(i, o.clusters));
  await updateLab(o.labDir, (state) => {
    for (const t of targets) if (t.real) staleBackupContainer(state, Number(t.vmid), t.node, `b${t.vmid}`);
  });
  for (const t of targets)
    if (t.hang)
      await addFault(o.labDir, { node: t.node, match: `pct unlock ${t.vmid}`, action: "hang", times: 1 });
  // The node lock's release after a step: the first one on each node hangs once.
  for (const node of NODES) await addFault(o.labDir, { node, match: "rmdir", action: "hang", times: 1 });

  const db = await openDb(o.url, { max: 3 });
  const q = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await db.pool.query(sql, params)).rows as T[];
  try {
    for (let i = 0; i < WORKERS; i++) o.workers.push(await o.start(inventoryDir, FLEET_ARGS));
    const t0 = Date.now();
    const verdictOf = new Map<number, string>();
    let postRetries = 0;
    let rr = 0;
    let next = 0;
    const post = async (i: number): Promise<string> => {
      const t = targets[i] as Target;
      for (let attempt = 0; attempt < 20; attempt++) {
        const up = o.workers.filter(alive);
        const w = up[rr++ % Math.max(1, up.length)];
        if (!w) {
          await sleep(500);
          continue;
        }
        try {
          const res = await fetch(`${w.url}/v1/alerts`, {
            method: "POST",
            signal: AbortSignal.timeout(15_000),
            headers: { "content-type": "application/json", authorization: `Bearer ${o.token}` },
            body: JSON.stringify({
              version: "4",
              groupKey: "bench-kill",
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
                  labels: { alertname: "PveGuestLocked", cluster: t.cluster, vmid: t.vmid, node: t.node },
                  startsAt: "2026-12-05T00:00:00Z",
                  fingerprint: `kill-${i}`,
                },
              ],
            }),
          });
          const body = (await res.json()) as { results?: Array<{ verdict: string }> };
          // As Alertmanager does: an answer other than 2xx (a worker declared dead answers 503) is retried.
          if (res.status >= 500) throw new Error(`http ${res.status}`);
          return res.status === 202 ? (body.results?.[0]?.verdict ?? "?") : `http-${res.status}`;
        } catch {
          postRetries++;
          await sleep(200);
        }
      }
      return "unsent";
    };
    const posting = Promise.all(
      Array.from({ length: POSTERS }, async () => {
        for (;;) {
          const i = next++;
          if (i >= o.alerts) return;
          verdictOf.set(i, await post(i));
          // Alerts arrive over the storm, not all in the first second: kills meet queued work.
          await sleep(100);
        }
      }),
    );

    const kills: Kill[] = [];
    let done = false;
    const accepted = () => [...verdictOf.entries()].filter(([, v]) => v === "queued").map(([i]) => i);
    const settled = async (): Promise<boolean> => {
      if (verdictOf.size < o.alerts) return false;
      const [open] = await q<{ n: string }>(
        "SELECT count(*) AS n FROM pvefix_runs WHERE cluster LIKE 'x%' AND NOT ended",
      );
      const [jobs] = await q<{ n: string }>(
        "SELECT count(*) AS n FROM graphile_worker.jobs WHERE queue_name LIKE 'pvefix:x%' AND attempts < max_attempts",
      );
      const [ran] = await q<{ n: string }>(
        "SELECT count(DISTINCT (start->>'cluster') || '|' || (start->'params'->>'vmid')) AS n FROM pvefix_runs WHERE cluster LIKE 'x%' AND undo_of IS NULL AND ended",
      );
      return Number(open?.n) === 0 && Number(jobs?.n) === 0 && Number(ran?.n) >= accepted().length;
    };
    const killer = (async () => {
      while (!done && kills.length < o.maxKills) {
        await sleep(o.killEveryMs);
        if (done) return;
        const running = await q<{ pid: number; worker_id: string; last: string }>(
          `SELECT w.pid, w.worker_id,
                  (SELECT entry->>'type' FROM pvefix_journal j WHERE j.run_id = r.run_id ORDER BY id DESC LIMIT 1) AS last
             FROM pvefix_runs r JOIN pvefix_workers w USING (worker_id)
            WHERE NOT r.ended AND w.state = 'alive' AND r.cluster LIKE 'x%'`,
        );
        const up = o.workers.filter(alive);
        const pick = (rows: typeof running) =>
          rows.map((r) => up.find((w) => w.child.pid === r.pid)).find((w) => w !== undefined);
        const midStep = pick(running.filter((r) => r.last === "step-start"));
        const midRun = pick(running);
        const victim = midStep ?? midRun ?? up[kills.length % Math.max(1, up.length)];
        if (!victim?.child.pid) continue;
        const [row] = await q<{ worker_id: string }>(
          "SELECT worker_id FROM pvefix_workers WHERE pid = $1 ORDER BY started_at DESC LIMIT 1",
          [victim.child.pid],
        );
        const exited = new Promise((r) => victim.child.once("close", r));
        victim.child.kill("SIGKILL");
        kills.push({
          pid: victim.child.pid,
          workerId: row?.worker_id ?? null,
          at: Date.now(),
          where: midStep ? "mid-step" : midRun ? "mid-run" : "idle",
        });
        await exited;
        const at = o.workers.indexOf(victim);
        o.workers.splice(at, 1, await o.start(inventoryDir, FLEET_ARGS));
      }
    })();
    await posting;
    const deadline = Date.now() + 6 * 60_000;
    let finished = false;
    while (Date.now() < deadline) {
      if (await settled()) {
        finished = true;
        break;
      }
      await sleep(1_000);
    }
    done = true;
    await killer;
    const wallMs = Date.now() - t0;
    await Promise.all(o.workers.splice(0).map(o.stop));
    return {
      ...(await analyse(q, verdictOf, targets, kills)),
      alerts: o.alerts,
      clusters: o.clusters,
      wallMs,
      finished,
      postRetries,
      kills,
    };
  } finally {
    await db.close();
  }
}

interface RunRow {
  run_id: string;
  cluster: string;
  worker_id: string;
  ended: boolean;
  outcome: string | null;
  undo_of: string | null;
  undone_by: string | null;
  taken_over_by: string | null;
  vmid: string;
}

async function analyse(
  q: <T>(sql: string, params?: unknown[]) => Promise<T[]>,
  verdictOf: Map<number, string>,
  targets: Target[],
  kills: Kill[],
): Promise<Omit<KillStormResult, "alerts" | "clusters" | "wallMs" | "finished" | "postRetries" | "kills">> {
  const runs = await q<RunRow>(
    `SELECT run_id, cluster, worker_id, ended, outcome, undo_of, undone_by, taken_over_by,
            start->'params'->>'vmid' AS vmid
       FROM pvefix_runs WHERE cluster LIKE 'x%'`,
  );
  const journal = await q<{ run_id: string; type: string; step_id: string | null; time: string }>(
    `SELECT j.run_id, j.entry->>'type' AS type, j.entry->>'stepId' AS step_id, j.entry->>'time' AS time
       FROM pvefix_journal j JOIN pvefix_runs r USING (run_id) WHERE r.cluster LIKE 'x%' ORDER BY j.id`,
  );
  const entriesOf = new Map<string, typeof journal>();
  for (const e of journal) entriesOf.set(e.run_id, [...(entriesOf.get(e.run_id) ?? []), e]);
  const primary = runs.filter((r) => r.undo_of === null);
  const byId = new Map(runs.map((r) => [r.run_id, r]));

  const endings: Record<string, number> = {};
  for (const r of primary) {
    let k = r.ended ? (r.outcome ?? "?") : "not ended";
    if (r.taken_over_by) k = `${k}, taken over`;
    if (r.undone_by) k = `${k}, undone (${byId.get(r.undone_by)?.outcome ?? "undo run not found"})`;
    endings[k] = (endings[k] ?? 0) + 1;
  }
  const unended = runs.filter((r) => !r.ended).map((r) => r.run_id);

  // None lost: every alert a worker accepted (`queued`) has a run of its target that ended; an
  // alert answered `duplicate…` (a retried POST the dead worker had accepted) needs one too.
  const runsOfTarget = new Map<string, RunRow[]>();
  for (const r of primary)
    runsOfTarget.set(`${r.cluster}|${r.vmid}`, [...(runsOfTarget.get(`${r.cluster}|${r.vmid}`) ?? []), r]);
  const lost: string[] = [];
  let acceptedN = 0;
  let dedupedN = 0;
  for (const [i, v] of verdictOf) {
    const t = targets[i] as Target;
    const key = `${t.cluster}|${t.vmid}`;
    if (v === "queued") acceptedN++;
    else if (v.startsWith("duplicate")) dedupedN++;
    else {
      lost.push(`${key}: answered ${v}`);
      continue;
    }
    if (!(runsOfTarget.get(key) ?? []).some((r) => r.ended)) lost.push(`${key}: ${v}, no run ended`);
  }

  // None twice: one run per target, and no step a taken-over run started is started again by
  // another run of the same target.
  const twiceRuns = [...runsOfTarget.entries()].filter(([, l]) => l.length > 1).map(([k]) => k);
  const twiceSteps: string[] = [];
  let stepsChecked = 0;
  const takeoverMs: number[] = [];
  for (const r of primary.filter((x) => x.taken_over_by)) {
    const started = (entriesOf.get(r.run_id) ?? []).filter((e) => e.type === "step-start");
    stepsChecked += started.length;
    for (const other of runsOfTarget.get(`${r.cluster}|${r.vmid}`) ?? []) {
      if (other.run_id === r.run_id) continue;
      for (const e of entriesOf.get(other.run_id) ?? [])
        if (e.type === "step-start" && started.some((s) => s.step_id === e.step_id))
          twiceSteps.push(`${e.step_id} in ${r.run_id} and ${other.run_id}`);
    }
    const kill = kills.find((k) => k.workerId === r.worker_id);
    const end = (entriesOf.get(r.run_id) ?? []).findLast((e) => e.type === "run-end");
    if (kill && end) takeoverMs.push(Date.parse(end.time) - kill.at);
  }

  const jobs = await q<{ state: string; n: string }>(
    `SELECT CASE WHEN locked_by IS NOT NULL THEN 'locked'
                 WHEN attempts >= max_attempts THEN 'failed for good'
                 ELSE 'waiting' END AS state, count(*) AS n
       FROM graphile_worker.jobs WHERE queue_name LIKE 'pvefix:x%' GROUP BY 1`,
  );

  // Two runs at once on one cluster: run-start to run-end of every run, undo runs included.
  const spans = runs
    .map((r) => {
      const es = entriesOf.get(r.run_id) ?? [];
      return {
        cluster: r.cluster,
        start: Date.parse(es.find((e) => e.type === "run-start")?.time ?? ""),
        end: Date.parse(es.findLast((e) => e.type === "run-end")?.time ?? ""),
        undoOf: r.undo_of,
      };
    })
    .sort((a, b) => a.start - b.start);
  let overlaps = 0;
  for (let i = 0; i < spans.length; i++)
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i] as (typeof spans)[number];
      const b = spans[j] as (typeof spans)[number];
      if (a.cluster === b.cluster && b.start < a.end) overlaps++;
    }

  return {
    verdicts: [...verdictOf.values()].reduce<Record<string, number>>((m, v) => {
      m[v] = (m[v] ?? 0) + 1;
      return m;
    }, {}),
    runsStarted: primary.length,
    undoRuns: runs.length - primary.length,
    endings,
    unended,
    lost,
    accepted: acceptedN,
    deduped: dedupedN,
    twiceRuns,
    twiceSteps,
    stepsCheckedAfterTakeover: stepsChecked,
    takeovers: primary.filter((r) => r.taken_over_by).length,
    takeoverMs: takeoverMs.sort((a, b) => a - b),
    jobsLeft: Object.fromEntries(jobs.map((j) => [j.state, Number(j.n)])),
    overlaps,
  };
}

export function printKills(r: KillStormResult): void {
  const where = r.kills.reduce<Record<string, number>>((m, k) => {
    m[k.where] = (m[k.where] ?? 0) + 1;
    return m;
  }, {});
  const lines = [
    `killed workers: ${r.alerts} alerts over ${r.clusters} clusters (x00…), 3 workers with --heartbeat 1s --takeover-after 4s, in ${(r.wallMs / 1000).toFixed(1)} s${r.finished ? "" : " (NOT settled by the deadline)"}`,
    `  kills: ${r.kills.length} SIGKILLs ${JSON.stringify(where)}, each worker replaced by a fresh one; POSTs retried on another worker ${r.postRetries} times`,
    `  verdicts ${JSON.stringify(r.verdicts)}`,
    `  runs started ${r.runsStarted} (+ ${r.undoRuns} undo runs of takeovers); how they ended: ${JSON.stringify(r.endings)}`,
    `  none lost: ${r.lost.length === 0 && r.unended.length === 0 ? "yes" : "NO"} — each of ${r.accepted} accepted and ${r.deduped} deduped alerts has an ended run of its target; runs not ended: ${r.unended.length}; lost: ${r.lost.length}${r.lost.length ? ` ${JSON.stringify(r.lost.slice(0, 10))}` : ""}; graphile jobs left ${JSON.stringify(r.jobsLeft)}`,
    `  none twice: ${r.twiceRuns.length === 0 && r.twiceSteps.length === 0 ? "yes" : "NO"} — targets run twice ${r.twiceRuns.length}${r.twiceRuns.length ? ` ${JSON.stringify(r.twiceRuns.slice(0, 10))}` : ""}; steps of taken-over runs (${r.stepsCheckedAfterTakeover}) started again in another run: ${r.twiceSteps.length}${r.twiceSteps.length ? ` ${JSON.stringify(r.twiceSteps.slice(0, 10))}` : ""}; two runs at once on a cluster ${r.overlaps}`,
    `  takeovers ${r.takeovers}; kill → takeover p50 ${pct(r.takeoverMs, 50).toFixed(0)} ms, max ${(r.takeoverMs.at(-1) ?? Number.NaN).toFixed(0)} ms`,
  ];
  console.log(lines.join("\n"));
}
