/**
 * Debian's real prometheus-alertmanager sends its webhooks (v4, with a bearer token) to
 * `pvefix serve --lab`: a serve killed mid-run recovers from its journal, a flapping alert is
 * throttled, an alert that needs a person becomes an approval that runs once approved, and a
 * storm pauses the cluster. Alertmanager listens on loopback only, with clustering off, and is
 * stopped by its PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSession } from "../integration/cli/pvefix.js";
import {
  addToken,
  hangUnlockOnce,
  journal,
  metric,
  runsOf,
  type Served,
  startServed,
  waitUntil,
} from "../integration/serve/served.js";

const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const RULES = `
version: 1
rules:
  - name: locked
    match: { alertname: PveGuestLocked, vmid: "100" }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: true
  - name: locked-ask
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: false
policy:
  cooldown: 10m
  storm: { window: 10m, maxAlerts: 6, maxNodeShare: 1 }
`;

describe("Alertmanager → pvefix serve", () => {
  const cli = cliSession();
  let amUrl: string;
  let am: ChildProcess;
  let servePort: number;
  let served: Served;
  let viewer: string;
  let token: string;

  const startServe = () => startServed(cli, RULES, { token }, `127.0.0.1:${servePort}`);

  /** Alerts into Alertmanager's API v2, as Prometheus sends them. */
  async function fire(alerts: Array<{ labels: Record<string, string>; endsAt?: string }>): Promise<void> {
    const res = await fetch(`${amUrl}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alerts),
    });
    expect(res.status).toBe(200);
  }
  const lockedLabels = (vmid: string) => ({
    alertname: "PveGuestLocked",
    cluster: "lab",
    vmid,
    node: "pve1",
    severity: "warning",
  });

  beforeAll(async () => {
    expect(fs.existsSync(ALERTMANAGER), `${ALERTMANAGER} (scripts/install-system-deps.sh)`).toBe(true);
    expect((await cli.pvefix(["lab", "reset", "--scenario", "stuck-lock", "--quiet"])).code).toBe(0);
    token = await addToken(cli, "alertmanager", "requester");
    viewer = await addToken(cli, "grafana", "viewer");
    servePort = await freePort();
    const amPort = await freePort();
    amUrl = `http://127.0.0.1:${amPort}`;
    const dir = path.join(cli.stateDir, "alertmanager");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "alertmanager.yml"),
      `route:
  receiver: pvefix
  group_by: [cluster, vmid]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: pvefix
    webhook_configs:
      - url: http://127.0.0.1:${servePort}/v1/alerts
        send_resolved: true
        http_config:
          authorization: { type: Bearer, credentials: ${token} }
`,
    );
    am = spawn(
      ALERTMANAGER,
      [
        `--config.file=${path.join(dir, "alertmanager.yml")}`,
        `--storage.path=${dir}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        "--cluster.listen-address=",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let amLog = "";
    am.stderr?.on("data", (d: Buffer) => {
      amLog += d.toString();
    });
    await waitUntil(
      `alertmanager ready (${amLog.slice(-300)})`,
      async () => (await fetch(`${amUrl}/-/ready`).catch(() => null))?.ok || undefined,
      30_000,
    );
    served = await startServe();
  });

  afterAll(async () => {
    await served?.stop();
    // Alertmanager writes its notification log and silences into the state directory as it
    // shuts down; the directory can only be removed once it has exited.
    if (am && am.exitCode === null && am.signalCode === null) {
      const exited = new Promise((resolve) => am.once("exit", resolve));
      am.kill("SIGTERM");
      const stubborn = setTimeout(() => am.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(stubborn);
    }
  });

  it("a serve killed mid-run is rolled back from its journal by the next one", async () => {
    await hangUnlockOnce(cli);
    await fire([{ labels: lockedLabels("100") }]);
    const run = await waitUntil("the run to start its step", () =>
      runsOf(cli.stateDir).find((r) => journal(cli.stateDir, r.runId).some((e) => e.type === "step-start")),
    );
    expect(journal(cli.stateDir, run.runId).find((e) => e.type === "run-start")).toMatchObject({
      trigger: { source: "alertmanager", by: "alertmanager" },
    });
    served.child.child.kill("SIGKILL");
    await served.child.exited;
    served = await startServe();
    const undo = await waitUntil("the rollback", () =>
      runsOf(cli.stateDir).find((r) => r.undoOf === run.runId && r.outcome !== "running"),
    );
    expect(undo.outcome).toBe("undone");
    expect((await cli.labExec("pve1", "pct", "config", "100")).stdout).toMatch(/^lock: backup$/m);
  });

  it("a flapping alert is throttled: resolved and firing again, it starts no new run within the cooldown", async () => {
    const before = runsOf(cli.stateDir).filter((r) => r.mode === "unattended").length;
    for (let i = 0; i < 3; i++) {
      await fire([{ labels: lockedLabels("100"), endsAt: new Date(Date.now() - 1000).toISOString() }]);
      await new Promise((r) => setTimeout(r, 2_500));
      await fire([{ labels: lockedLabels("100") }]);
      await new Promise((r) => setTimeout(r, 2_500));
    }
    const metrics = await waitUntil("cooldown refusals", async () => {
      const text = (await served.get("/metrics", viewer)).text;
      return metric(text, /^pvefix_guard_refusals_total\{reason="cooldown"\}/) >= 2 ? text : undefined;
    });
    expect(metric(metrics, /^pvefix_alerts_total\{verdict="resolved"\}/)).toBeGreaterThanOrEqual(2);
    expect(runsOf(cli.stateDir).filter((r) => r.mode === "unattended")).toHaveLength(before);
  });

  it("an alert that needs a person becomes an approval; `pvefix approve` makes serve apply it", async () => {
    await fire([{ labels: lockedLabels("103") }]);
    const approval = await waitUntil("the approval request", async () => {
      const list = await cli.pvefix(["approvals"]);
      return /^([0-9a-f]{12})\tpending\tstuck-lock/m.exec(list.stdout)?.[1];
    });
    const shown = await cli.pvefix(["approvals", approval]);
    expect(shown.stdout).toMatch(/requested by alertmanager/);
    expect(shown.stdout).toMatch(/pct unlock 103/);
    const approved = await cli.pvefix(["approve", approval]);
    expect(approved.code, approved.stderr).toBe(0);
    const run = await waitUntil("the applied run", () =>
      runsOf(cli.stateDir).find((r) => r.mode === "apply" && r.outcome !== "running"),
    );
    expect(run.outcome).toBe("done");
    expect((await cli.labExec("pve3", "pct", "config", "103")).stdout).not.toMatch(/^lock:/m);
    // Approved once, applied once: a second approve is refused.
    const again = await cli.pvefix(["approve", approval]);
    expect(again.code).toBe(3);
  });

  it("an alert storm pauses the cluster and starts nothing; resume lifts it", async () => {
    const before = runsOf(cli.stateDir).length;
    await fire(Array.from({ length: 10 }, (_, i) => ({ labels: lockedLabels(String(300 + i)) })));
    await waitUntil(
      "the storm pause",
      async () => (await served.get("/healthz")).text.includes('"paused":{"lab":true}') || undefined,
    );
    const metrics = (await served.get("/metrics", viewer)).text;
    expect(metric(metrics, /^pvefix_guard_refusals_total\{reason="storm"\}/)).toBe(1);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(runsOf(cli.stateDir).length).toBe(before);
    expect((await cli.pvefix(["resume", "--cluster", "lab"])).code).toBe(0);
    expect((await served.get("/healthz")).text).toContain('"paused":{"lab":false}');
  });
});
