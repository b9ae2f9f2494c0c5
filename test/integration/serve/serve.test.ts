/**
 * `pvefix serve --lab` as a process: alerts over HTTP remediate the embedded lab, the policy holds
 * across alerts, pause/resume from the CLI take effect at once, an approval runs from request to
 * apply, and SIGTERM/SIGKILL in the middle of a run end in a rolled-back journal.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSession } from "../cli/pvefix.js";
import { addToken, journal, metric, runsOf, type Served, startServed, waitUntil, webhook } from "./served.js";

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
  storm: { maxAlerts: 50, maxNodeShare: 1 }
notify:
  - { url: "http://127.0.0.1:HOOK_PORT/slack", format: slack }
`;

const locked = (vmid: string, fingerprint: string, startsAt?: string) => ({
  labels: { alertname: "PveGuestLocked", vmid, cluster: "lab", severity: "warning", node: "pve1" },
  fingerprint,
  ...(startsAt ? { startsAt } : {}),
});

describe("pvefix serve on the lab", () => {
  const cli = cliSession();
  let served: Served;
  let am: string;
  let alice: string;
  let admin: string;
  let viewer: string;
  const hooks: Array<{ path: string; body: { text: string } }> = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      hooks.push({ path: req.url ?? "", body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const hookPort = (receiver.address() as AddressInfo).port;
    expect((await cli.pvefix(["lab", "reset", "--scenario", "stuck-lock", "--quiet"])).code).toBe(0);
    am = await addToken(cli, "alertmanager", "requester");
    alice = await addToken(cli, "alice", "approver");
    admin = await addToken(cli, "root", "admin");
    viewer = await addToken(cli, "grafana", "viewer");
    served = await startServed(cli, RULES.replace("HOOK_PORT", String(hookPort)), {
      am,
      alice,
      admin,
      viewer,
    });
  });

  afterAll(async () => {
    await served?.stop();
    receiver.close();
  });

  it("an alert remediates the lab; the journal says why it ran, with the policy's numbers", async () => {
    const res = await served.post("/v1/alerts", webhook([locked("100", "fp-100")]), am);
    expect(res.status).toBe(202);
    expect(res.json.results[0]).toMatchObject({ verdict: "queued", runbook: "stuck-lock", cluster: "lab" });
    const run = await waitUntil("the run to end", () =>
      runsOf(cli.stateDir).find((r) => r.outcome !== "running"),
    );
    expect(run.outcome).toBe("done");
    expect(run.mode).toBe("unattended");
    const start = journal(cli.stateDir, run.runId).find((e) => e.type === "run-start");
    expect(start).toMatchObject({
      trigger: {
        source: "alertmanager",
        by: "alertmanager",
        rule: "locked",
        policy: { verdict: "start", attempts: 0, maxAttempts: 3, cooldownMs: 600_000 },
      },
    });
    expect((await cli.labExec("pve1", "pct", "config", "100")).stdout).not.toMatch(/^lock:/m);
    const done = await waitUntil("the done notification", () =>
      hooks.find((h) => h.body.text.includes("done")),
    );
    expect(done.path).toBe("/slack");
    expect(Object.keys(done.body)).toEqual(["text"]);
    expect(done.body.text).toMatch(/^✅ pvefix done on cluster lab: stuck-lock done/);
    expect(done.body.text).toContain(run.runId);
  });

  it("drops a repeated delivery and throttles the same alert firing again (cooldown)", async () => {
    const again = await served.post("/v1/alerts", webhook([locked("100", "fp-100")]), am);
    expect(again.json.results[0].verdict).toBe("duplicate");
    const refired = await served.post(
      "/v1/alerts",
      webhook([locked("100", "fp-100", "2026-12-01T00:07:00Z")]),
      am,
    );
    expect(refired.json.results[0].verdict).toBe("queued");
    const metrics = await waitUntil("the cooldown refusal", async () => {
      const text = (await served.get("/metrics", viewer)).text;
      return metric(text, /^pvefix_guard_refusals_total\{reason="cooldown"\}/) === 1 ? text : undefined;
    });
    expect(metric(metrics, /^pvefix_runs_total\{outcome="done"\}/)).toBe(1);
    expect(runsOf(cli.stateDir)).toHaveLength(1);
  });

  it("pvefix pause stops new runs at once; resume lets them start", async () => {
    expect((await cli.pvefix(["pause", "--cluster", "lab", "--reason", "3 a.m. drill"])).code).toBe(0);
    const paused = await served.post("/v1/alerts", webhook([locked("100", "fp-paused")]), am);
    expect(paused.json.results[0]).toMatchObject({
      verdict: "paused",
      message: expect.stringMatching(/3 a\.m\. drill/),
    });
    expect((await served.get("/healthz")).text).toContain('"paused":{"lab":true}');
    expect((await cli.pvefix(["resume"])).code).toBe(0);
    expect((await served.get("/healthz")).text).toContain('"paused":{"lab":false}');
  });

  it("an alert a rule does not allow unattended becomes an approval: four eyes, then applied", async () => {
    const before = runsOf(cli.stateDir).length;
    // The admin sends it, so the admin is the requester and cannot approve it.
    const res = await served.post("/v1/alerts", webhook([locked("103", "fp-103")]), admin);
    expect(res.json.results[0].verdict).toBe("queued");
    const approval = await waitUntil("the approval request", async () => {
      const list = (await served.get("/v1/approvals", viewer)).text;
      return (JSON.parse(list).approvals as Array<{ id: string; status: string }>)[0];
    });
    expect(approval.status).toBe("pending");
    const asked = await waitUntil("the approval notification", () =>
      hooks.find((h) => h.body.text.includes("approval-requested")),
    );
    expect(asked.body.text).toContain(`pvefix approve ${approval.id}`);
    expect(asked.body.text).toContain("pct unlock 103");
    const shown = await cli.pvefix(["approvals", approval.id]);
    expect(shown.stdout).toMatch(/requested by root/);
    expect(shown.stdout).toMatch(/pct unlock 103/);
    expect((await served.post(`/v1/approvals/${approval.id}/approve`, {}, am)).status).toBe(403);
    const own = await served.post(`/v1/approvals/${approval.id}/approve`, {}, admin);
    expect(own.status).toBe(409);
    expect(own.json.message).toMatch(/four eyes/);
    expect(runsOf(cli.stateDir)).toHaveLength(before);
    const ok = await served.post(`/v1/approvals/${approval.id}/approve`, {}, alice);
    expect(ok.json).toMatchObject({ status: "approved" });
    const run = await waitUntil("the applied run", () =>
      runsOf(cli.stateDir).find((r) => r.mode === "apply" && r.outcome !== "running"),
    );
    expect(run.outcome).toBe("done");
    const start = journal(cli.stateDir, run.runId).find((e) => e.type === "run-start");
    expect(start).toMatchObject({
      trigger: { source: "approval", approval: approval.id, approvers: ["alice"] },
    });
    expect((await cli.labExec("pve3", "pct", "config", "103")).stdout).not.toMatch(/^lock:/m);
  });

  it("logs JSON lines with who and what, never a token", async () => {
    const lines = served.child
      .output()
      .split("\n")
      .filter((l) => l.startsWith('{"time"'));
    expect(lines.length).toBeGreaterThan(5);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toContainEqual(
      expect.objectContaining({ msg: "http", route: "/v1/alerts", status: 202, who: "alertmanager" }),
    );
    expect(parsed).toContainEqual(expect.objectContaining({ msg: "run ended", outcome: "done" }));
    for (const token of [am, alice, admin, viewer])
      expect(served.child.output()).not.toContain(token.slice(7));
  });
});
