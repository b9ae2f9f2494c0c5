/**
 * The policy's decisions on PostgreSQL with three workers: the alert storm of issue 14 (1,000
 * alerts over 20 clusters, each delivered to all three workers at once, as Alertmanager sends to
 * every receiver) through `receive` and `admit` in the PostgreSQL store, against the state-dir
 * store with the same workers sharing one directory. Counts what started (no duplicate: one start
 * per distinct alert the policy admits) and the decision latency. Not the whole fleet benchmark
 * (no runs on a cluster, no killed workers; docs/fleet.md says what is missing).
 *   npx tsx bench/fleet-policy.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IncomingAlert } from "../src/serve/alerts/alertmanager.js";
import { admit, prune, receive } from "../src/serve/policy/policy.js";
import { PolicyConfig } from "../src/serve/rules/schema.js";
import { openDb } from "../src/serve/store/postgres/db.js";
import { migrate } from "../src/serve/store/postgres/migrations.js";
import { postgresStores } from "../src/serve/store/postgres/stores.js";
import { stateDirStores } from "../src/serve/store/state-dir.js";
import type { PolicyStore } from "../src/serve/store/types.js";

const scripts = fileURLToPath(new URL("../scripts/testbed/", import.meta.url));
const config = PolicyConfig.parse({
  cooldown: "10m",
  maxAttempts: 3,
  storm: { window: "10m", maxAlerts: 20, maxNodeShare: 1 },
});

function alerts(): Array<{ alert: IncomingAlert; cluster: string; node: string; key: string }> {
  return Array.from({ length: 1000 }, (_, i) => {
    const cluster = `c${i % 20}`;
    const vmid = 100 + (Math.floor(i / 20) % 10);
    return {
      cluster,
      node: `n${i % 3}`,
      key: `stuck-lock|${cluster}|${vmid}`,
      alert: {
        source: "alertmanager" as const,
        status: "firing" as const,
        labels: {},
        fingerprint: `fp-${i}`,
        startsAt: "2026-12-05T00:00:00Z",
      },
    };
  });
}

async function storm(
  workers: PolicyStore[],
): Promise<{ ms: number; starts: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let starts = 0;
  const t0 = performance.now();
  const all = alerts();
  // Each worker takes deliveries 10 at a time (its pool's size), as its HTTP server would.
  await Promise.all(
    workers.flatMap((store) =>
      Array.from({ length: 10 }, async (_, lane) => {
        for (let i = lane; i < all.length; i += 10) {
          const a = all[i]!;
          const t = performance.now();
          const now = Date.now();
          const started = await store.update((s) => {
            const r = receive(
              prune(s, now, config),
              a.alert,
              { cluster: a.cluster, node: a.node },
              3,
              now,
              config,
            );
            if (r.verdict.kind !== "accept") return { state: r.state, result: false };
            const ad = admit(r.state, { cluster: a.cluster, key: a.key }, false, now, config);
            return { state: ad.state, result: ad.verdict.kind === "start" };
          });
          latencies.push(performance.now() - t);
          if (started) starts++;
        }
      }),
    ),
  );
  latencies.sort((x, y) => x - y);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { ms: performance.now() - t0, starts, p50: at(0.5), p99: at(0.99) };
}

const state = mkdtempSync(join(tmpdir(), "pvefix-bench-pg-"));
try {
  const url = execFileSync("bash", [join(scripts, "postgres-up.sh"), "--state", state], { encoding: "utf8" })
    .trim()
    .split("\n")
    .at(-1) as string;
  const dbs = await Promise.all([0, 1, 2].map(() => openDb(url, { max: 10 })));
  await migrate(dbs[0]!);
  const pg = await storm(dbs.map((d) => postgresStores(d).policy));
  await Promise.all(dbs.map((d) => d.close()));
  const dir = mkdtempSync(join(tmpdir(), "pvefix-bench-sd-"));
  const sd = await storm([0, 1, 2].map(() => stateDirStores(dir).policy));
  rmSync(dir, { recursive: true, force: true });
  const show = (name: string, r: Awaited<ReturnType<typeof storm>>) =>
    console.log(
      `${name}: 3,000 deliveries in ${Math.round(r.ms)} ms; starts ${r.starts}; decision p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
    );
  show("PostgreSQL, 3 workers", pg);
  show("state dir, 3 workers in one process", sd);
} finally {
  execFileSync("bash", [join(scripts, "postgres-down.sh"), "--state", state, "--purge"]);
}
