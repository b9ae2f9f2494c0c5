/**
 * The approval page in a real browser: Debian's chromium, headless, driven by playwright-core,
 * against `pvefix serve --lab` on loopback. A run request for restart-pve-services with HA armed
 * on pve2 (dangerous steps: the approver must type pve2) becomes an approval; a viewer reads the
 * plan and cannot approve; a form without the CSRF token and one from another origin are refused;
 * a pause reason with <script> in it is shown as text; the approver logs in, types the node name,
 * approves, and the applied run appears in the recent runs as done, with the lab's pve2 healthy.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSession } from "../integration/cli/pvefix.js";
import { addToken, runsOf, type Served, startServed, waitUntil } from "../integration/serve/served.js";

const CHROMIUM = "/usr/bin/chromium";
const RULES = "version: 1\napprovals: { required: 1, ttl: 1h }\n";

describe("the approval page in chromium", () => {
  const cli = cliSession();
  let served: Served;
  let browser: Browser;
  let ci: string;
  let alice: string;
  let grafana: string;
  let approvalId: string;
  const dialogs: string[] = [];
  const contexts: BrowserContext[] = [];
  let elsewhere: http.Server | undefined;

  async function loggedIn(token: string): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${served.url}/ui/`);
    expect(new URL(page.url()).pathname).toBe("/ui/login");
    await page.fill("#token", token);
    await page.click("button[type=submit]");
    await page.waitForURL(`${served.url}/ui/`);
    return page;
  }

  beforeAll(async () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} (scripts/install-system-deps.sh)`).toBe(true);
    const reset = await cli.pvefix(["lab", "reset", "--scenario", "restart-pve-services-ha", "--quiet"]);
    expect(reset.code, reset.stderr).toBe(0);
    const before = await cli.labExec("pve2", "systemctl", "is-active", "pvestatd");
    expect(before.stdout.trim()).toBe("failed");
    ci = await addToken(cli, "ci", "requester");
    alice = await addToken(cli, "alice", "approver");
    grafana = await addToken(cli, "grafana", "viewer");
    served = await startServed(cli, RULES, { ci, alice, grafana });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const asked = await served.post(
      "/v1/runs",
      { runbook: "restart-pve-services", params: { node: "pve2", withHa: true }, cluster: "lab" },
      ci,
    );
    expect(asked.status).toBe(202);
    expect(asked.json.verdict).toBe("queued");
    approvalId = await waitUntil("the approval request", async () => {
      const list = JSON.parse((await served.get("/v1/approvals", grafana)).text) as {
        approvals: Array<{ id: string; status: string }>;
      };
      return list.approvals.find((a) => a.status === "pending")?.id;
    });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    elsewhere?.close();
    await served?.stop();
  });

  it("a viewer reads the plan but has no way to approve", async () => {
    const page = await loggedIn(grafana);
    const cookie = (await page.context().cookies()).find((c) => c.name === "pvefix_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/ui", secure: false });
    expect(cookie?.value).not.toContain(grafana);
    await page.click(`a[href="/ui/approvals/${approvalId}"]`);
    await expect(page.locator("section.plan h1").textContent()).resolves.toMatch(
      /^Plan: Restart .* on pve2/,
    );
    expect(await page.locator("section.plan").textContent()).toContain("Stop pve-ha-lrm on pve2");
    expect(await page.locator("form#approve").count()).toBe(0);
    expect(await page.locator("main").textContent()).toContain("only an approver can decide");
  });

  it("refuses a form without its CSRF token, and one sent from another origin", async () => {
    const page = await loggedIn(alice);
    await page.goto(`${served.url}/ui/approvals/${approvalId}`);
    // The hidden field removed from the live page: the browser still sends the cookie and Origin.
    await page.locator('form#approve input[name="csrf"]').evaluate((input) => input.remove());
    await page.fill("#confirm", "pve2");
    await page.click("form#approve button[type=submit]");
    expect(await page.locator("p.error").textContent()).toMatch(/CSRF token is missing/);
    // A page of another origin (another port on this host) posting the same form.
    elsewhere = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        `<form method="post" action="${served.url}/ui/approvals/${approvalId}/approve"><input name="confirm" value="pve2"><button id="go">go</button></form>`,
      );
    });
    await new Promise<void>((resolve) => elsewhere?.listen(0, "127.0.0.1", resolve));
    await page.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`);
    await page.click("#go");
    await page.waitForURL(`${served.url}/ui/approvals/${approvalId}/approve`);
    // Same site (cookies go along) but another origin: the Origin check refuses it.
    expect(await page.locator("p.error").textContent()).toBe("This form was not sent from this page.");
    const list = JSON.parse((await served.get(`/v1/approvals/${approvalId}`, grafana)).text) as {
      status: string;
    };
    expect(list.status).toBe("pending");
  });

  it("shows a value with <script> in it as text", async () => {
    const paused = await cli.pvefix([
      "pause",
      "--cluster",
      "elsewhere",
      "--reason",
      `<script>alert("pwned")</script><img src=x onerror=alert(2)>`,
    ]);
    expect(paused.code, paused.stderr).toBe(0);
    const page = await loggedIn(grafana);
    expect(await page.locator("#paused").textContent()).toContain(
      `<script>alert("pwned")</script><img src=x onerror=alert(2)>`,
    );
    expect(await page.locator("#paused script, #paused img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect((await cli.pvefix(["resume", "--cluster", "elsewhere"])).code).toBe(0);
  });

  it("an approver logs in, reads the plan, types the node name and approves; the run appears done", async () => {
    const page = await loggedIn(alice);
    await page.click(`a[href="/ui/approvals/${approvalId}"]`);
    expect(await page.locator("label[for=confirm]").textContent()).toContain("type pve2 to approve them");
    await page.fill("#confirm", "pve1");
    await page.click("form#approve button[type=submit]");
    expect(await page.locator("p.error").textContent()).toContain("type pve2 to approve them");
    await page.fill("#confirm", "pve2");
    await page.click("form#approve button[type=submit]");
    await page.waitForURL(/\?done=approved$/);
    expect(await page.locator("p.notice").textContent()).toContain("Approved");
    const run = await waitUntil(
      "the applied run",
      () => runsOf(cli.stateDir).find((r) => r.mode === "apply" && r.outcome !== "running"),
      150_000,
    );
    expect(run.outcome).toBe("done");
    await page.goto(`${served.url}/ui/`);
    const row = page.locator(`#runs tr[data-run="${run.runId}"]`);
    expect(await row.locator("td").allTextContents()).toEqual([
      run.runId,
      expect.any(String),
      "restart-pve-services",
      "--node pve2 --with-ha",
      "done",
      "",
    ]);
    await row.locator("a").click();
    const timeline = await page.locator("pre.timeline").textContent();
    expect(timeline).toContain(`approved in ${approvalId} by alice (typed pve2)`);
    expect(timeline).toMatch(/outcome: .*\(done, exit 0\)/);
    expect((await cli.labExec("pve2", "systemctl", "is-active", "pvestatd")).stdout.trim()).toBe("active");
    const shown = JSON.parse((await served.get(`/v1/approvals/${approvalId}`, grafana)).text) as {
      status: string;
      runId: string;
    };
    expect(shown).toMatchObject({ status: "applied", runId: run.runId });
    expect(dialogs).toEqual([]);
  });
});
