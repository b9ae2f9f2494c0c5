/**
 * Three `pvefix serve --database` workers, each a separate process with its own state directory,
 * on one real PostgreSQL (scripts/testbed/postgres-up.sh) and one cluster (the lab served over
 * real SSH on loopback): the same alert delivered to all three at once starts one run, a pause
 * given to the database by the CLI stops every worker, and a worker cut off from PostgreSQL
 * takes no new work.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type LabServer, resetLab, serveLab } from "../../src/lab/index.js";
import { cliSession } from "../integration/cli/pvefix.js";
import { metric, runsOf, type Served, startServed, waitUntil, webhook } from "../integration/serve/served.js";
import { type PostgresBed, startPostgres } from "./postgres/bed.js";

const RULES = `
version: 1
rules:
  - name: locked-ask
    match: { alertname: PveGuestLocked, vmid: "103" }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: false
  - name: locked
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: true
policy:
  cooldown: 10m
  storm: { maxAlerts: 50, maxNodeShare: 1 }
`;

describe("three serve workers on one PostgreSQL", () => {
  const sessions = [cliSession(), cliSession(), cliSession()];
  const admin = cliSession();
  let bed: PostgresBed;
  let lab: LabServer;
  let labDir: string;
  let cluster: string;
  let token: string;
  const workers: Served[] = [];

  const locked = (vmid: string, fingerprint: string) => ({
    labels: { alertname: "PveGuestLocked", vmid, cluster, severity: "warning", node: "pve1" },
    fingerprint,
  });
  const allRuns = () => sessions.flatMap((s) => runsOf(s.stateDir));

  beforeAll(async () => {
    bed = await startPostgres();
    const url = bed.url;
    const migrated = await admin.pvefix(["db", "migrate", "--database", url]);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/applied 1 /);
    const added = await admin.pvefix([
      "serve",
      "token",
      "add",
      "am",
      "--role",
      "requester",
      "--database",
      url,
    ]);
    expect(added.code, added.stderr).toBe(0);
    token = added.stdout.trim();
    labDir = fs.mkdtempSync(path.join(admin.stateDir, "lab-"));
    await resetLab({ stateDir: labDir, scenario: "stuck-lock" });
    lab = await serveLab({ stateDir: labDir });
    cluster = (parse(fs.readFileSync(lab.inventoryPath, "utf8")) as { cluster: string }).cluster;
    for (const s of sessions) {
      const rulesFile = path.join(s.stateDir, "rules.yaml");
      fs.writeFileSync(rulesFile, RULES);
      workers.push(
        await startServed(s, RULES, { token }, "127.0.0.1:0", [
          "-i",
          lab.inventoryPath,
          "--accept-new-host-keys",
          "--database",
          url,
        ]),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await lab?.close();
    await bed?.stop();
  });

  it("the same alert sent to every worker at the same moment starts one run", async () => {
    const answers = await Promise.all(
      workers.map((w) => w.post("/v1/alerts", webhook([locked("100", "fp-same")]), token)),
    );
    expect(
      answers.map((a) => a.status),
      JSON.stringify(answers[0]?.json),
    ).toEqual([202, 202, 202]);
    const verdicts = answers.map((a) => a.json.results[0].verdict).sort();
    expect(verdicts).toEqual(["duplicate", "duplicate", "queued"]);
    const run = await waitUntil(
      "the run to end",
      () => allRuns().find((r) => r.outcome !== "running"),
      60_000,
    );
    expect(run.outcome).toBe("done");
    // Give a wrongly started second run time to show up in any worker's journal.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(allRuns()).toHaveLength(1);
  });

  it("a new firing of the same alert on another worker is held by the cooldown the first worker started", async () => {
    const again = await workers[2]!.post(
      "/v1/alerts",
      webhook([{ ...locked("100", "fp-same"), startsAt: "2026-12-01T00:09:00Z" }]),
      token,
    );
    expect(again.json.results[0].verdict).toBe("queued");
    // The job may run on any worker (graphile-worker): the refusal is counted where it ran.
    await waitUntil("the cooldown refusal on one of the workers", async () => {
      let refusals = 0;
      for (const w of workers) {
        const text = (await w.get("/metrics", token)).text;
        refusals += metric(text, /^pvefix_guard_refusals_total\{reason="cooldown"\}/);
      }
      return refusals === 1 || undefined;
    });
    expect(allRuns()).toHaveLength(1);
  });

  it("a pause written to the database by the CLI stops every worker at once; resume lets them run", async () => {
    const paused = await admin.pvefix(["pause", "--reason", "fleet drill", "--database", bed.url]);
    expect(paused.code, paused.stderr).toBe(0);
    for (const [i, w] of workers.entries()) {
      const res = await w.post("/v1/alerts", webhook([locked("100", `fp-paused-${i}`)]), token);
      expect(res.json.results[0]).toMatchObject({
        verdict: "paused",
        message: expect.stringMatching(/fleet drill/),
      });
    }
    expect((await admin.pvefix(["resume", "--database", bed.url])).code).toBe(0);
    const res = await workers[1]!.post("/v1/alerts", webhook([locked("100", "fp-resumed")]), token);
    expect(res.json.results[0].verdict).toBe("queued");
  });

  it("an approval given by the CLI to the database is applied by exactly one of the three workers", async () => {
    const before = allRuns().length;
    const res = await workers[0]!.post("/v1/alerts", webhook([locked("103", "fp-ask")]), token);
    expect(res.json.results[0].verdict).toBe("queued");
    const pending = await waitUntil("the approval request", async () => {
      const list = JSON.parse((await workers[1]!.get("/v1/approvals", token)).text) as {
        approvals: Array<{ id: string; status: string }>;
      };
      return list.approvals.find((a) => a.status === "pending");
    });
    const approved = await admin.pvefix(["approve", pending.id, "--database", bed.url]);
    expect(approved.code, approved.stderr).toBe(0);
    const applied = await waitUntil(
      "the approval applied",
      async () => {
        const list = JSON.parse((await workers[2]!.get("/v1/approvals", token)).text) as {
          approvals: Array<{ id: string; status: string; outcome: string | null }>;
        };
        return list.approvals.find((a) => a.id === pending.id && a.status === "applied");
      },
      60_000,
    );
    expect(applied.outcome).toBe("done");
    // Every worker polls every second: give a second apply time to show.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(allRuns()).toHaveLength(before + 1);
  });

  it("a worker that loses PostgreSQL takes no new work and starts nothing", async () => {
    const before = allRuns().length;
    await bed.stop();
    const res = await workers[0]!.post("/v1/alerts", webhook([locked("101", "fp-no-db")]), token);
    expect(res.status).toBe(503);
    expect(res.json.error).toBe("PVEFIX_SERVE_DATABASE");
    expect((await workers[0]!.get("/healthz")).status).toBe(503);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(allRuns()).toHaveLength(before);
  });
});
