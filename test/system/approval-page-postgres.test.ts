/**
 * The approval page on two `pvefix serve --database` workers sharing `--session-key-file`: tokens,
 * approvals and pauses come from PostgreSQL, so an approval requested through worker A is read
 * and approved on worker B's page (a session opened on B is valid on A too), and the applied run
 * shows as done on the page of the worker that ran it. Forms are posted as a browser would, with
 * the session cookie, the CSRF token and the page's Origin.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type LabServer, resetLab, serveLab } from "../../src/lab/index.js";
import { cliSession } from "../integration/cli/pvefix.js";
import { runsOf, type Served, startServed, waitUntil, webhook } from "../integration/serve/served.js";
import { type PostgresBed, startPostgres } from "./postgres/bed.js";

const RULES = `
version: 1
rules:
  - name: locked-ask
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: false
`;

describe("the approval page on two workers of one PostgreSQL", () => {
  const sessions = [cliSession(), cliSession()];
  const admin = cliSession();
  let bed: PostgresBed;
  let lab: LabServer;
  let cluster: string;
  const tokens: Record<string, string> = {};
  const workers: Served[] = [];

  beforeAll(async () => {
    bed = await startPostgres();
    const migrated = await admin.pvefix(["db", "migrate", "--database", bed.url]);
    expect(migrated.code, migrated.stderr).toBe(0);
    for (const [name, role] of [
      ["am", "requester"],
      ["alice", "approver"],
    ] as const) {
      const added = await admin.pvefix([
        "serve",
        "token",
        "add",
        name,
        "--role",
        role,
        "--database",
        bed.url,
      ]);
      expect(added.code, added.stderr).toBe(0);
      tokens[name] = added.stdout.trim();
    }
    const labDir = fs.mkdtempSync(path.join(admin.stateDir, "lab-"));
    await resetLab({ stateDir: labDir, scenario: "stuck-lock" });
    lab = await serveLab({ stateDir: labDir });
    cluster = (parse(fs.readFileSync(lab.inventoryPath, "utf8")) as { cluster: string }).cluster;
    const key = path.join(admin.stateDir, "session.key");
    fs.writeFileSync(key, Buffer.alloc(48, 9));
    for (const s of sessions) {
      workers.push(
        await startServed(s, RULES, tokens, "127.0.0.1:0", [
          "-i",
          lab.inventoryPath,
          "--accept-new-host-keys",
          "--database",
          bed.url,
          "--session-key-file",
          key,
        ]),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await lab?.close();
    await bed?.stop();
  });

  it("an approval requested through one worker is approved on the other's page and its run shows done", async () => {
    const [a, b] = workers as [Served, Served];
    const sent = await a.post(
      "/v1/alerts",
      webhook([
        {
          labels: { alertname: "PveGuestLocked", vmid: "103", cluster, severity: "warning", node: "pve3" },
          fingerprint: "fp-103",
        },
      ]),
      tokens.am as string,
    );
    expect(sent.json.results[0].verdict).toBe("queued");
    const id = await waitUntil("the approval in the database", async () => {
      const list = JSON.parse((await b.get("/v1/approvals", tokens.alice)).text) as {
        approvals: Array<{ id: string; status: string }>;
      };
      return list.approvals.find((x) => x.status === "pending")?.id;
    });

    const login = await fetch(`${b.url}/ui/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: b.url },
      body: new URLSearchParams({ token: tokens.alice as string }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const onA = await fetch(`${a.url}/ui/approvals/${id}`, { headers: { cookie } });
    expect(onA.status).toBe(200);
    const page = await (await fetch(`${b.url}/ui/approvals/${id}`, { headers: { cookie } })).text();
    expect(page).toContain("signed in as <b>alice</b> (approver)");
    expect(page).toMatch(/<pre><code class="language-sh">[^<]*pct unlock 103/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const planHash = /name="planHash" value="([0-9a-f]{64})"/.exec(page)?.[1] as string;
    const approve = (form: Record<string, string>) =>
      fetch(`${b.url}/ui/approvals/${id}/approve`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: b.url, cookie },
        body: new URLSearchParams(form).toString(),
      });
    expect((await approve({ planHash })).status).toBe(403);
    const ok = await approve({ csrf, planHash });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`/ui/approvals/${id}?done=approved`);

    const done = await waitUntil(
      "the approval applied by one worker",
      async () => {
        const shown = JSON.parse((await a.get(`/v1/approvals/${id}`, tokens.alice)).text) as {
          status: string;
          outcome: string | null;
          runId: string | null;
        };
        return shown.status === "applied" ? shown : undefined;
      },
      90_000,
    );
    expect(done).toMatchObject({ outcome: "done", runId: expect.any(String) });
    const owner = sessions.findIndex((s) => runsOf(s.stateDir).some((r) => r.runId === done.runId));
    expect(owner).toBeGreaterThanOrEqual(0);
    const index = await (await fetch(`${workers[owner]!.url}/ui/`, { headers: { cookie } })).text();
    expect(index).toMatch(new RegExp(`<tr data-run="${done.runId}">.*<td>done</td>`));
    expect(index).toContain(`<a href="/ui/runs/${done.runId}">done</a>`);
    // The journal is in PostgreSQL: the worker that did not run it shows the run and its timeline too.
    const other = workers[1 - owner]!;
    const elsewhere = await (await fetch(`${other.url}/ui/`, { headers: { cookie } })).text();
    expect(elsewhere).toMatch(new RegExp(`<tr data-run="${done.runId}">.*<td>done</td>`));
    const timeline = await fetch(`${other.url}/ui/runs/${done.runId}`, { headers: { cookie } });
    expect(timeline.status).toBe(200);
    expect(await timeline.text()).toContain("unlock");
  });
});
