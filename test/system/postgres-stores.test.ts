/**
 * The PostgreSQL stores on a real PostgreSQL (scripts/testbed/postgres-up.sh): migrations apply
 * once and in order even when workers race, and the policy's counts hold when several workers
 * (separate connection pools, as separate processes have) change them at the same moment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IncomingAlert } from "../../src/serve/alerts/alertmanager.js";
import { Approval } from "../../src/serve/approvals/approval.js";
import { admit, receive } from "../../src/serve/policy/policy.js";
import { PolicyConfig } from "../../src/serve/rules/schema.js";
import { withClusterLock } from "../../src/serve/store/postgres/cluster-lock.js";
import { type Db, openDb, transaction } from "../../src/serve/store/postgres/db.js";
import { checkSchema, MIGRATIONS, migrate } from "../../src/serve/store/postgres/migrations.js";
import { postgresStores } from "../../src/serve/store/postgres/stores.js";
import { type PostgresBed, startPostgres } from "./postgres/bed.js";

let bed: PostgresBed;
const opened: Db[] = [];
async function db(url: string): Promise<Db> {
  const d = await openDb(url, { max: 5 });
  opened.push(d);
  return d;
}

beforeAll(async () => {
  bed = await startPostgres();
});
afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
  await bed?.stop();
});

const config = PolicyConfig.parse({
  cooldown: "0s",
  maxAttempts: 3,
  storm: { window: "10m", maxAlerts: 20, maxNodeShare: 1 },
});
const alert = (fingerprint: string): IncomingAlert => ({
  source: "alertmanager",
  status: "firing",
  labels: {},
  fingerprint,
  startsAt: "2026-12-05T03:00:00Z",
});

describe("migrations", () => {
  it("apply each version once, in order, when three workers migrate at the same moment", async () => {
    const url = await bed.database("mig_race");
    const workers = await Promise.all([db(url), db(url), db(url)]);
    const applied = await Promise.all(workers.map((w) => migrate(w)));
    expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
    const rows = await transaction(workers[0] as Db, (c) =>
      c.query<{ version: number }>("SELECT version FROM pvefix_migrations ORDER BY version"),
    );
    expect(rows.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(workers[1] as Db)).toEqual([]);
    await expect(checkSchema(workers[2] as Db)).resolves.toBeUndefined();
  });

  it("refuse to serve on a database not migrated, and on one newer than this binary", async () => {
    const url = await bed.database("mig_refuse");
    const d = await db(url);
    await expect(checkSchema(d)).rejects.toThrow(/lacks migrations 1.*\n?/);
    await migrate(d);
    await transaction(d, (c) =>
      c.query("INSERT INTO pvefix_migrations (version, name) VALUES (999, 'future')"),
    );
    await expect(checkSchema(d)).rejects.toThrow(/does not know \(999\)/);
    await expect(migrate(d)).rejects.toThrow(/does not know \(999\)/);
  });

  it("roll a failing migration back whole: nothing of it stays, and it is not recorded", async () => {
    const url = await bed.database("mig_fail");
    const d = await db(url);
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: "broken", sql: "CREATE TABLE half (x int); SELECT nope;" },
    ];
    await expect(migrate(d, broken)).rejects.toThrow(/nope/);
    const r = await transaction(d, (c) =>
      c.query<{ t: string | null; n: string }>(
        "SELECT to_regclass('half')::text AS t, (SELECT count(*) FROM pvefix_migrations)::text AS n",
      ),
    );
    expect(r.rows[0]).toEqual({ t: null, n: String(MIGRATIONS.length) });
  });
});

describe("the policy across workers", () => {
  it("the same alert delivered to three workers at once is accepted once", async () => {
    const url = await bed.database("pol_dedupe");
    const workers = await Promise.all([db(url), db(url), db(url)]);
    await migrate(workers[0] as Db);
    const stores = workers.map(postgresStores);
    const verdicts = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (stores[i % 3] ?? stores[0])!.policy.update((s) => {
          const r = receive(s, alert("same"), { cluster: "c1", node: "n1" }, 3, 1_000, config);
          return { state: r.state, result: r.verdict.kind };
        }),
      ),
    );
    expect(verdicts.filter((v) => v === "accept")).toHaveLength(1);
    expect(verdicts.filter((v) => v === "duplicate")).toHaveLength(29);
  });

  it("the attempt cap and the storm window count every worker's alerts and starts", async () => {
    const url = await bed.database("pol_counts");
    const workers = await Promise.all([db(url), db(url), db(url)]);
    await migrate(workers[0] as Db);
    const stores = workers.map(postgresStores);
    const starts = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        stores[i % 3]!.policy.update((s) => {
          const r = admit(s, { cluster: "c1", key: "rb|c1|n1" }, false, 2_000 + i, config);
          return { state: r.state, result: r.verdict.kind };
        }),
      ),
    );
    expect(starts.filter((v) => v === "start")).toHaveLength(3);
    const storm = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        stores[i % 3]!.policy.update((s) => {
          const r = receive(s, alert(`a${i}`), { cluster: "c2", node: "n1" }, 3, 5_000, config);
          return { state: r.state, result: r.verdict.kind };
        }),
      ),
    );
    // 20 alerts fit in the window; the 21st pauses the cluster, the rest find it paused.
    expect(storm.filter((v) => v === "accept")).toHaveLength(20);
    expect(storm.filter((v) => v === "storm-pause")).toHaveLength(1);
    expect(storm.filter((v) => v === "paused")).toHaveLength(4);
    const state = await stores[1]!.policy.read();
    expect(state.targets["rb|c1|n1"]?.attempts).toBe(3);
    expect(state.paused.clusters.c2?.by).toBe("storm-guard");
  });

  it("a change that throws leaves the state as it was", async () => {
    const url = await bed.database("pol_throw");
    const d = await db(url);
    await migrate(d);
    const { policy } = postgresStores(d);
    await expect(
      policy.update((s) => {
        s.paused.all = { by: "x", reason: "y", at: 1 };
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect((await policy.read()).paused.all).toBeNull();
  });
});

describe("approvals and tokens", () => {
  const approval = (id: string): Approval =>
    Approval.parse({
      id,
      runbook: "stuck-lock",
      params: { vmid: 101 },
      cluster: "c1",
      planHash: "h",
      fingerprint: "f",
      key: "k",
      requestedBy: "alertmanager",
      reason: "r",
      createdAt: 1,
      expiresAt: 2,
      required: 1,
      dangerousNodes: [],
      decisions: [],
      status: "pending",
      runId: null,
      outcome: null,
      markdown: "# plan <b>",
    });

  it("an approval decided by two workers at once keeps both decisions", async () => {
    const url = await bed.database("appr");
    const [a, b] = await Promise.all([db(url), db(url)]);
    await migrate(a as Db);
    const sa = postgresStores(a as Db);
    const sb = postgresStores(b as Db);
    await sa.approvals.create(approval("abc123def456"), { steps: [1, 2] });
    expect(await sb.approvals.plan("abc123def456")).toEqual({ steps: [1, 2] });
    const decide = (store: typeof sa, by: string) =>
      store.approvals.update("abc123def456", (x) => ({
        ...x,
        decisions: [...x.decisions, { by, verdict: "approve", at: 3 }],
      }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => decide(i % 2 ? sa : sb, `p${i}`)));
    const got = await sa.approvals.get("abc123def456");
    expect(got?.decisions).toHaveLength(10);
    expect(got?.markdown).toBe("# plan <b>");
    await expect(sb.approvals.update("nope00", (x) => x)).rejects.toThrow(/No approval nope00/);
    expect((await sb.approvals.list()).map((x) => x.id)).toEqual(["abc123def456"]);
  });

  it("tokens: a second token of the same name is refused, a removed one stops at once", async () => {
    const url = await bed.database("tok");
    const d = await db(url);
    await migrate(d);
    const { tokens } = postgresStores(d);
    const hash = "a".repeat(64);
    await tokens.add({ name: "alice", role: "approver", hash, createdAt: "2026-12-05" });
    await expect(
      tokens.add({ name: "alice", role: "admin", hash: "b".repeat(64), createdAt: "2026-12-05" }),
    ).rejects.toThrow(/A token named alice exists/);
    expect((await tokens.byHash(hash))?.role).toBe("approver");
    expect(await tokens.remove("alice")).toBe(true);
    expect(await tokens.byHash(hash)).toBeNull();
    expect(await tokens.remove("alice")).toBe(false);
  });
});

describe("the cluster lock", () => {
  it("runs on one cluster never overlap across workers; runs on two clusters do", async () => {
    const url = await bed.database("locks");
    const [a, b] = await Promise.all([db(url), db(url)]);
    const spans: Array<{ cluster: string; from: number; to: number }> = [];
    const hold = (d: Db, cluster: string) =>
      withClusterLock(d, cluster, async () => {
        const from = performance.now();
        await new Promise((r) => setTimeout(r, 150));
        spans.push({ cluster, from, to: performance.now() });
      });
    await Promise.all([hold(a as Db, "c1"), hold(b as Db, "c1"), hold(a as Db, "c1"), hold(b as Db, "c2")]);
    const c1 = spans.filter((s) => s.cluster === "c1").sort((x, y) => x.from - y.from);
    expect(c1).toHaveLength(3);
    for (let i = 1; i < c1.length; i++) expect(c1[i]!.from).toBeGreaterThanOrEqual(c1[i - 1]!.to);
    const c2 = spans.find((s) => s.cluster === "c2")!;
    expect(c1.some((s) => s.from < c2.to && c2.from < s.to)).toBe(true);
  });

  it("a worker whose session dies mid-run releases the cluster for the next one", async () => {
    const url = await bed.database("locks_crash");
    const [a, b] = await Promise.all([db(url), db(url)]);
    let pid = 0;
    let finish: () => void = () => undefined;
    const never = new Promise<void>((r) => {
      finish = r;
    });
    const held = withClusterLock(a as Db, "c1", async () => {
      const r = await transaction(a as Db, (c) => c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"));
      pid = r.rows[0]!.pid;
      await never;
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    // The lock's session is not the one pg_backend_pid ran on: end every other session of worker a.
    await transaction(b as Db, (c) =>
      c.query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()",
      ),
    );
    const started = performance.now();
    await withClusterLock(b as Db, "c1", async () => undefined);
    // Worker a's run never ended on its own: only the dead session let b in.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(pid).toBeGreaterThan(0);
    finish();
    await held;
  });
});
