/**
 * The approval page through fastify.inject: login and sessions, CSRF and Origin checks on every
 * POST, roles, the typed confirmation, escaping of everything shown, security headers, errors as
 * pages, and the JSON API left as it was.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { JournalEntry } from "../../src/engine/journal.js";
import type { Plan } from "../../src/index.js";
import type { Approval } from "../../src/serve/approvals/approval.js";
import { PAGE_CSP, type RunSource } from "../../src/serve/http/page/routes.js";
import { buildHttpServer } from "../../src/serve/http/server.js";
import { hashToken } from "../../src/serve/http/tokens.js";
import { silentLogger } from "../../src/serve/log.js";
import { pause } from "../../src/serve/policy/policy.js";
import { stuckLockPlan } from "../views/sample-data.js";
import { fakeRemediator, firing, LOCK_RULE, makeService } from "./helpers.js";

const TOKENS = {
  viewer: "tok-viewer-0123456789",
  requester: "tok-requester-0123456789",
  approver: "tok-approver-0123456789",
  admin: "tok-admin-0123456789",
} as const;
type Who = keyof typeof TOKENS;

const ORIGIN = "http://pvefix.test";
const RUN_ID = "20261201T000000Z-stuck-lock-abcd";

function runJournal(): JournalEntry[] {
  return [
    {
      type: "run-start",
      time: "2026-12-01T00:00:00.000Z",
      runId: RUN_ID,
      runbook: "stuck-lock",
      mode: "apply",
      params: { vmid: 100 },
      cluster: "lab",
      transport: "lab",
      user: "pvefix",
      host: "ops1",
      pid: 1,
    },
    {
      type: "command",
      time: "2026-12-01T00:00:01.000Z",
      phase: "probe",
      result: {
        node: "pve1",
        command: "pct config 100",
        exitCode: 0,
        stdout: "description: <script>alert('journal')</script>\n",
        stderr: "",
        durationMs: 3,
        timedOut: false,
        connectionLost: false,
        failed: false,
      },
    },
    { type: "run-end", time: "2026-12-01T00:00:02.000Z", outcome: "done", exitCode: 0 },
  ] as JournalEntry[];
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setup(o: { trustProxy?: boolean } = {}) {
  const sample = stuckLockPlan();
  const plan: Plan = { ...sample, steps: sample.steps.map((s) => ({ ...s, risk: "dangerous" as const })) };
  const { remediator, calls } = fakeRemediator({ plan });
  const made = makeService({
    rules: { version: 1, rules: [{ ...LOCK_RULE, unattended: false }] },
    remediator,
  });
  for (const [role, token] of Object.entries(TOKENS)) {
    await made.stores.tokens.add({ name: role, role: role as Who, hash: hashToken(token), createdAt: "now" });
  }
  const runs: RunSource = {
    list: async () => [
      {
        runId: RUN_ID,
        runbook: "stuck-lock",
        mode: "apply",
        startedAt: "2026-12-01T00:00:00.000Z",
        params: { vmid: 100 },
        cluster: "lab",
        outcome: "done",
        exitCode: 0,
        undoneBy: null,
        undoOf: null,
      },
    ],
    entries: async (runId) => {
      if (runId !== RUN_ID) {
        const { EngineError } = await import("../../src/engine/errors.js");
        throw new EngineError("PVEFIX_RUN_NOT_FOUND", `No run ${runId}`);
      }
      return runJournal();
    },
  };
  app = await buildHttpServer({
    service: made.service,
    tokens: made.stores.tokens,
    metrics: made.metrics,
    logger: silentLogger,
    now: Date.now,
    ...(o.trustProxy ? { trustProxy: true } : {}),
    page: {
      runs,
      paused: async () => {
        const state = await made.stores.policy.read();
        return [
          ...(state.paused.all ? [{ cluster: null, pause: state.paused.all }] : []),
          ...Object.entries(state.paused.clusters).map(([cluster, p]) => ({ cluster, pause: p })),
        ];
      },
    },
  });
  await made.service.receiveAlerts(
    [firing({ alertname: "PveGuestLocked", vmid: "100", cluster: "lab" }, "fp")],
    "requester",
  );
  await made.queue.idle();
  const [approval] = await made.stores.approvals.list();
  const a = app;

  /** Log in through the form; returns the cookie header and the CSRF token of the next page. */
  async function login(who: Who) {
    const res = await a.inject({
      method: "POST",
      url: "/ui/login",
      headers: { host: "pvefix.test", origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      payload: `token=${encodeURIComponent(TOKENS[who])}`,
    });
    expect(res.statusCode).toBe(303);
    const setCookie = String(res.headers["set-cookie"]);
    const cookie = setCookie.split(";")[0] as string;
    const page = await a.inject({ url: "/ui/", headers: { host: "pvefix.test", cookie } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] as string;
    expect(csrf).toBeTruthy();
    return { cookie, csrf, setCookie };
  }
  const post = (url: string, cookie: string, form: Record<string, string>, origin: string | null = ORIGIN) =>
    a.inject({
      method: "POST",
      url,
      headers: {
        host: "pvefix.test",
        cookie,
        "content-type": "application/x-www-form-urlencoded",
        ...(origin ? { origin } : {}),
      },
      payload: new URLSearchParams(form).toString(),
    });
  const get = (url: string, cookie?: string) =>
    a.inject({ url, headers: { host: "pvefix.test", ...(cookie ? { cookie } : {}) } });
  return { app: a, approval: approval as Approval, plan, calls, login, post, get, ...made };
}

describe("the approval page", () => {
  it("asks for a login, and a token becomes a session cookie that is not the token", async () => {
    const { get, login, app } = await setup();
    const anon = await get("/ui/");
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe("/ui/login");
    const form = await get("/ui/login");
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="token"');
    const bad = await app.inject({
      method: "POST",
      url: "/ui/login",
      headers: { host: "pvefix.test", origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      payload: "token=not-a-token",
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers["set-cookie"]).toBeUndefined();
    expect(bad.body).toContain("not a valid token");
    const { setCookie, cookie } = await login("approver");
    expect(setCookie).toMatch(/^pvefix_session=v1\./);
    expect(setCookie).toMatch(/; Path=\/ui; Max-Age=1800; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain("Secure");
    expect(setCookie).not.toContain(TOKENS.approver);
    expect(setCookie).not.toContain(hashToken(TOKENS.approver));
    const page = await get("/ui/", cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("signed in as <b>approver</b> (approver)");
  });

  it("marks the cookie Secure behind HTTPS (a trusted proxy's X-Forwarded-Proto)", async () => {
    const { app } = await setup({ trustProxy: true });
    const res = await app.inject({
      method: "POST",
      url: "/ui/login",
      headers: {
        host: "pvefix.test",
        "x-forwarded-proto": "https",
        origin: "https://pvefix.test",
        "content-type": "application/x-www-form-urlencoded",
      },
      payload: `token=${TOKENS.viewer}`,
    });
    expect(res.statusCode).toBe(303);
    expect(String(res.headers["set-cookie"])).toMatch(/; Secure$/);
  });

  it("refuses a login form sent from another origin or without one", async () => {
    const { app } = await setup();
    for (const headers of [
      { origin: "http://evil.test" },
      {},
      { "sec-fetch-site": "cross-site", origin: ORIGIN },
    ]) {
      const res = await app.inject({
        method: "POST",
        url: "/ui/login",
        headers: { host: "pvefix.test", "content-type": "application/x-www-form-urlencoded", ...headers },
        payload: `token=${TOKENS.approver}`,
      });
      expect(res.statusCode).toBe(403);
      expect(res.headers["set-cookie"]).toBeUndefined();
    }
  });

  it("shows the pending approval with its plan in the words of plan -o md, and forms with a CSRF token", async () => {
    const { get, login, approval } = await setup();
    const { cookie, csrf } = await login("approver");
    const index = await get("/ui/", cookie);
    expect(index.body).toContain(`href="/ui/approvals/${approval.id}"`);
    const page = await get(`/ui/approvals/${approval.id}`, cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<h1>Plan: /);
    expect(page.body).toContain("<h2>Steps</h2>");
    expect(page.body).toMatch(/<pre><code class="language-sh">[^<]*pct unlock 100/);
    expect(page.body).toContain(`<input type="hidden" name="csrf" value="${csrf}">`);
    expect(page.body).toContain(`<input type="hidden" name="planHash" value="${approval.planHash}">`);
    expect(page.body).toContain(`type <code>${approval.dangerousNodes.join(",")}</code> to approve them`);
    expect(page.body).toContain('name="confirm"');
  });

  it("approves only with the session's CSRF token, from this origin, with the typed confirmation", async () => {
    const { post, login, approval, stores, queue, calls, get } = await setup();
    const { cookie, csrf } = await login("approver");
    const url = `/ui/approvals/${approval.id}/approve`;
    const nodes = approval.dangerousNodes.join(",");
    const noCsrf = await post(url, cookie, { confirm: nodes, planHash: approval.planHash });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.body).toContain("CSRF token");
    const otherCsrf = await post(url, cookie, { csrf: `${csrf.slice(0, -2)}xx`, confirm: nodes });
    expect(otherCsrf.statusCode).toBe(403);
    const crossSite = await post(url, cookie, { csrf, confirm: nodes }, "http://evil.test");
    expect(crossSite.statusCode).toBe(403);
    const noOrigin = await post(url, cookie, { csrf, confirm: nodes }, null);
    expect(noOrigin.statusCode).toBe(403);
    const noSession = await post(url, "", { csrf, confirm: nodes });
    expect(noSession.statusCode).toBe(401);
    const wrong = await post(url, cookie, { csrf, confirm: "pve9", planHash: approval.planHash });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.body).toContain(`type ${nodes} to approve them`);
    expect(wrong.body).toContain('value="pve9"');
    const stale = await post(url, cookie, { csrf, confirm: nodes, planHash: "0".repeat(64) });
    expect(stale.statusCode).toBe(409);
    expect((await stores.approvals.get(approval.id))?.status).toBe("pending");
    expect(calls.filter((c) => c.kind === "apply")).toHaveLength(0);
    const ok = await post(url, cookie, { csrf, confirm: nodes, planHash: approval.planHash });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/ui/approvals/${approval.id}?done=approved`);
    await queue.idle();
    expect(calls.filter((c) => c.kind === "apply")).toHaveLength(1);
    const after = await stores.approvals.get(approval.id);
    expect(after?.status).toBe("applied");
    expect(after?.decisions).toEqual([expect.objectContaining({ by: "approver", verdict: "approve" })]);
    const shown = await get(`/ui/approvals/${approval.id}?done=approved`, cookie);
    expect(shown.body).toContain("Approved: pvefix serve applies this plan now");
    expect(shown.body).not.toContain('id="approve"');
  });

  it("a viewer sees the plan but no forms, and cannot approve; the requester cannot approve its own", async () => {
    const { post, login, approval, stores, get } = await setup();
    const { cookie, csrf } = await login("viewer");
    const page = await get(`/ui/approvals/${approval.id}`, cookie);
    expect(page.body).toMatch(/<h1>Plan: /);
    expect(page.body).not.toContain('id="approve"');
    expect(page.body).toContain("only an approver can decide");
    const tried = await post(`/ui/approvals/${approval.id}/approve`, cookie, {
      csrf,
      confirm: approval.dangerousNodes.join(","),
    });
    expect(tried.statusCode).toBe(403);
    expect(tried.body).toContain("Role viewer may not approve");
    const admin = await login("admin");
    const deny = await post(`/ui/approvals/${approval.id}/deny`, admin.cookie, { csrf: admin.csrf });
    expect(deny.statusCode).toBe(303);
    expect((await stores.approvals.get(approval.id))?.status).toBe("denied");
  });

  it("shows every value escaped: a reason, a plan and a pause reason with <script> in them", async () => {
    const { login, get, stores, approval } = await setup();
    const evil: Approval = {
      ...approval,
      id: "evil00000001",
      key: "evil",
      reason: `<script>alert("reason")</script>`,
      requestedBy: `"><img src=x onerror=alert(1)>`,
      markdown:
        "# Plan: <script>alert('md')</script>\n\n- `<b>code</b>` and **<i>bold</i>**\n\n<details><summary><script>x</script></summary>\n\n```sh\n</code></pre><script>alert(2)</script>\n```\n\n</details>",
    };
    await stores.approvals.create(evil, {});
    await stores.policy.update((s) => ({
      state: pause(s, "lab", "user:root", "<script>alert('pause')</script>", Date.now()),
      result: null,
    }));
    const { cookie } = await login("viewer");
    for (const url of ["/ui/", "/ui/approvals/evil00000001"]) {
      const body = (await get(url, cookie)).body;
      expect(body).not.toMatch(/<script|<img|<b>code|<i>/i);
    }
    const page = (await get("/ui/approvals/evil00000001", cookie)).body;
    expect(page).toContain("&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt;");
    expect(page).toContain("<h1>Plan: &lt;script&gt;alert(&#39;md&#39;)&lt;/script&gt;</h1>");
    expect(page).toContain("<code>&lt;b&gt;code&lt;/b&gt;</code>");
    expect(page).toContain("<strong>&lt;i&gt;bold&lt;/i&gt;</strong>");
    expect(page).toContain("&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
    const index = (await get("/ui/", cookie)).body;
    expect(index).toContain("&lt;script&gt;alert(&#39;pause&#39;)&lt;/script&gt;");
    const run = await get(`/ui/runs/${RUN_ID}`, cookie);
    expect(run.statusCode).toBe(200);
    expect(run.body).toContain("description: &lt;script&gt;alert(&#39;journal&#39;)&lt;/script&gt;");
    expect(run.body).toContain("outcome: ");
  });

  it("sends the security headers on every page and error, and no-store", async () => {
    const { get, login, approval } = await setup();
    const { cookie } = await login("viewer");
    for (const res of [
      await get("/ui/login"),
      await get(`/ui/approvals/${approval.id}`, cookie),
      await get("/ui/approvals/nosuch-approval", cookie),
      await get("/ui/nowhere", cookie),
    ]) {
      expect(res.headers["content-security-policy"]).toBe(PAGE_CSP);
      expect(PAGE_CSP).not.toMatch(/unsafe|script-src/);
      expect(res.headers["x-frame-options"]).toBe("DENY");
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.body).not.toMatch(/at .*\.ts:\d+|stack/);
    }
    const missing = await get("/ui/approvals/nosuch-approval", cookie);
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain("No approval nosuch-approval");
    const badId = await get("/ui/approvals/BAD_ID", cookie);
    expect(badId.statusCode).toBe(400);
    expect(badId.body).toContain("path.id");
    expect((await get("/ui/runs/nosuch", cookie)).statusCode).toBe(404);
  });

  it("an admin resumes a paused cluster from the page; an approver cannot", async () => {
    const { login, post, get, stores } = await setup();
    await stores.policy.update((s) => ({
      state: pause(s, "lab", "storm", "storm guard", Date.now()),
      result: null,
    }));
    const approver = await login("approver");
    expect((await get("/ui/", approver.cookie)).body).toContain("an admin resumes");
    const refused = await post("/ui/resume", approver.cookie, { csrf: approver.csrf, cluster: "lab" });
    expect(refused.statusCode).toBe(403);
    expect((await stores.policy.read()).paused.clusters.lab).toBeDefined();
    const admin = await login("admin");
    expect((await get("/ui/", admin.cookie)).body).toContain("Resume lab</button>");
    const ok = await post("/ui/resume", admin.cookie, { csrf: admin.csrf, cluster: "lab" });
    expect(ok.statusCode).toBe(303);
    expect((await stores.policy.read()).paused.clusters.lab).toBeUndefined();
    expect((await get("/ui/?done=resumed", admin.cookie)).body).toContain("No cluster is paused.");
  });

  it("logging out ends the session, and so does removing the token", async () => {
    const { login, post, get, stores } = await setup();
    const { cookie, csrf } = await login("approver");
    const out = await post("/ui/logout", cookie, { csrf });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers["set-cookie"])).toMatch(/^pvefix_session=; Path=\/ui; Max-Age=0/);
    expect((await get("/ui/", cookie)).headers.location).toBe("/ui/login");
    const viewer = await login("viewer");
    expect((await get("/ui/", viewer.cookie)).statusCode).toBe(200);
    await stores.tokens.remove("viewer");
    expect((await get("/ui/", viewer.cookie)).headers.location).toBe("/ui/login");
    // A forged or altered cookie is no session.
    expect((await get("/ui/", `${viewer.cookie.slice(0, -3)}abc`)).statusCode).toBe(303);
  });

  it("rate-limits logins per address, with a page", async () => {
    const { app } = await setup();
    const attempt = () =>
      app.inject({
        method: "POST",
        url: "/ui/login",
        headers: { host: "pvefix.test", origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
        payload: "token=guess",
      });
    for (let i = 0; i < 10; i++) expect((await attempt()).statusCode).toBe(401);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["content-type"]).toMatch(/^text\/html/);
    expect(limited.body).toContain("Too many attempts");
    expect(limited.headers["content-security-policy"]).toBe(PAGE_CSP);
    expect(limited.headers["cache-control"]).toBe("no-store");
  });

  it("leaves the JSON API as it was", async () => {
    const { app, approval } = await setup();
    const health = await app.inject({ url: "/healthz" });
    expect(health.headers["content-security-policy"]).toBeUndefined();
    expect(health.json()).toMatchObject({ status: "ok" });
    const form = await app.inject({
      method: "POST",
      url: `/v1/approvals/${approval.id}/approve`,
      headers: {
        authorization: `Bearer ${TOKENS.approver}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      payload: "confirm=x",
    });
    expect(form.statusCode).toBe(415);
    expect(form.json()).toMatchObject({ error: "unsupported-media-type" });
    const list = await app.inject({
      url: "/v1/approvals",
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    expect(list.json().approvals[0]).toMatchObject({ id: approval.id, status: "pending" });
    expect((await app.inject({ url: "/v1/nowhere" })).json()).toMatchObject({ statusCode: 404 });
  });
});
