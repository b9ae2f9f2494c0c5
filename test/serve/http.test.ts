import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildHttpServer } from "../../src/serve/http/server.js";
import { hashToken } from "../../src/serve/http/tokens.js";
import { silentLogger } from "../../src/serve/log.js";
import { fakeRemediator, LOCK_RULE, makeService } from "./helpers.js";

const TOKENS = {
  viewer: "tok-viewer",
  requester: "tok-requester",
  approver: "tok-approver",
  admin: "tok-admin",
} as const;

function webhook(alerts: unknown[]) {
  return {
    version: "4",
    groupKey: '{}:{alertname="PveGuestLocked"}',
    status: "firing",
    receiver: "pvefix",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager",
    alerts,
  };
}

const alert = (vmid: string, fp: string) => ({
  status: "firing",
  labels: { alertname: "PveGuestLocked", vmid, cluster: "lab", severity: "warning" },
  annotations: {},
  startsAt: "2026-12-01T00:00:00Z",
  fingerprint: fp,
});

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setup(limits: { bodyLimit?: number; rateLimit?: number } = {}) {
  const { remediator, calls } = fakeRemediator();
  const made = makeService({ rules: { version: 1, rules: [LOCK_RULE] }, remediator });
  for (const [role, token] of Object.entries(TOKENS)) {
    await made.stores.tokens.add({
      name: `${role}-1`,
      role: role as keyof typeof TOKENS,
      hash: hashToken(token),
      createdAt: "now",
    });
  }
  app = await buildHttpServer({
    service: made.service,
    tokens: made.stores.tokens,
    metrics: made.metrics,
    logger: silentLogger,
    now: Date.now,
    ...limits,
  });
  const as = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });
  return { app, as, calls, ...made };
}

describe("HTTP", () => {
  it("healthz needs no token; everything else does, with the right role", async () => {
    const { app, as } = await setup();
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    const none = await app.inject({ method: "POST", url: "/v1/alerts", payload: webhook([]) });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(
      (
        await app.inject({
          method: "POST",
          url: "/v1/alerts",
          payload: webhook([]),
          headers: { authorization: "Bearer wrong" },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ method: "POST", url: "/v1/alerts", payload: webhook([]), headers: as("viewer") }))
        .statusCode,
    ).toBe(403);
    expect(
      (await app.inject({ method: "POST", url: "/v1/alerts", payload: webhook([]), headers: as("approver") }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await app.inject({
          method: "POST",
          url: "/v1/alerts",
          payload: webhook([]),
          headers: as("requester"),
        })
      ).statusCode,
    ).toBe(202);
    expect((await app.inject({ url: "/metrics", headers: as("viewer") })).statusCode).toBe(200);
    expect(
      (await app.inject({ method: "POST", url: "/v1/pause", payload: {}, headers: as("approver") }))
        .statusCode,
    ).toBe(403);
    expect(
      (await app.inject({ method: "POST", url: "/v1/pause", payload: {}, headers: as("admin") })).statusCode,
    ).toBe(200);
  });

  it("answers 400 naming the bad field", async () => {
    const { app, as } = await setup();
    const bad = webhook([{ ...alert("100", "f"), status: "burning" }]);
    const res = await app.inject({
      method: "POST",
      url: "/v1/alerts",
      payload: bad,
      headers: as("requester"),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: "bad-request", field: "body.alerts[0].status" });
    const run = await app.inject({
      method: "POST",
      url: "/v1/runs",
      payload: { runbook: "stuck-lock", cluster: "lab", params: { vmid: "x" } },
      headers: as("requester"),
    });
    expect(run.statusCode).toBe(400);
    expect(run.json().message).toMatch(/--vmid/);
    const extra = await app.inject({
      method: "POST",
      url: "/v1/runs",
      payload: { runbook: "stuck-lock", cluster: "lab", rm: "-rf" },
      headers: as("requester"),
    });
    expect(extra.json()).toMatchObject({ field: "body" });
    expect(extra.json().message).toMatch(/rm/);
  });

  it("takes a webhook, queues the run and reports it in the metrics", async () => {
    const { app, as, queue, calls } = await setup();
    const res = await app.inject({
      method: "POST",
      url: "/v1/alerts",
      payload: webhook([alert("100", "a1"), alert("100", "a1")]),
      headers: as("requester"),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().results.map((r: { verdict: string }) => r.verdict)).toEqual(["queued", "duplicate"]);
    await queue.idle();
    expect(calls).toHaveLength(1);
    const metrics = (await app.inject({ url: "/metrics", headers: as("viewer") })).body;
    expect(metrics).toMatch(/pvefix_runs_total\{outcome="done"\} 1/);
    expect(metrics).toMatch(
      /pvefix_findings_total\{runbook="stuck-lock",severity="warning",cluster="lab"\} 1/,
    );
    expect(metrics).toMatch(/pvefix_alerts_total\{verdict="duplicate"\} 1/);
    expect(metrics).toMatch(/pvefix_queue_depth 0/);
    expect(metrics).toMatch(/pvefix_run_duration_seconds_count\{runbook="stuck-lock"\} 1/);
  });

  it("limits the body size (413) and the request rate (429)", async () => {
    const { app, as } = await setup({ bodyLimit: 2048, rateLimit: 3 });
    const big = webhook(Array.from({ length: 40 }, (_, i) => alert("100", `b${i}`)));
    expect(
      (await app.inject({ method: "POST", url: "/v1/alerts", payload: big, headers: as("requester") }))
        .statusCode,
    ).toBe(413);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await app.inject({ url: "/metrics", headers: as("viewer") })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
  });

  it("approves over HTTP only with an approver's token", async () => {
    const { app, as } = await setup();
    const res = await app.inject({
      method: "POST",
      url: "/v1/approvals/abcdef123456/approve",
      payload: {},
      headers: as("requester"),
    });
    expect(res.statusCode).toBe(403);
    const missing = await app.inject({
      method: "POST",
      url: "/v1/approvals/abcdef123456/approve",
      payload: {},
      headers: as("approver"),
    });
    expect(missing.statusCode).toBe(404);
    const badVerdict = await app.inject({
      method: "POST",
      url: "/v1/approvals/abcdef123456/maybe",
      payload: {},
      headers: as("approver"),
    });
    expect(badVerdict.json()).toMatchObject({ field: "path.verdict" });
  });
});
