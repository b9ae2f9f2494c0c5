/** `pvefix serve -i INVENTORY` remediating the lab served over real SSH (`serveLab`, as `pvefix lab serve`). */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LabServer, resetLab, serveLab } from "../../../src/lab/index.js";
import { cliSession, type Started } from "../cli/pvefix.js";
import { addToken, journal, runsOf, waitUntil, webhook } from "./served.js";

const cli = cliSession();
let lab: LabServer;
let serve: Started;

beforeAll(async () => {
  await resetLab({ stateDir: cli.stateDir, scenario: "stuck-lock" });
  lab = await serveLab({ stateDir: cli.stateDir });
});

afterAll(async () => {
  serve?.child.kill("SIGTERM");
  await serve?.exited;
  await lab.close();
});

it("an alert over HTTP remediates the lab over SSH", async () => {
  const token = await addToken(cli, "alertmanager", "requester");
  const rules = path.join(cli.stateDir, "rules.yaml");
  fs.writeFileSync(
    rules,
    `version: 1
rules:
  - { name: locked, match: { alertname: PveGuestLocked }, runbook: stuck-lock, params: { vmid: "{{ labels.vmid }}" }, unattended: true }
`,
  );
  serve = cli.start(["serve", "-i", lab.inventoryPath, "--rules", rules, "--listen", "127.0.0.1:0"]);
  await serve.waitFor(/"listening":"http:\/\/127\.0\.0\.1:\d+"/, 30_000);
  const url = /"listening":"(http:[^"]+)"/.exec(serve.output())?.[1] as string;
  const cluster = /"cluster":"([^"]+)"/.exec(serve.output())?.[1] as string;
  const started = Date.now();
  const res = await fetch(`${url}/v1/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(
      webhook([{ labels: { alertname: "PveGuestLocked", vmid: "100", cluster }, fingerprint: "ssh" }]),
    ),
  });
  expect(res.status).toBe(202);
  const run = await waitUntil(
    "the run over SSH",
    () => runsOf(cli.stateDir).find((r) => r.outcome !== "running"),
    45_000,
  );
  expect(run.outcome).toBe("done");
  expect(journal(cli.stateDir, run.runId).find((e) => e.type === "run-start")).toMatchObject({
    transport: "ssh",
    inventory: lab.inventoryPath,
  });
  expect(Date.now() - started).toBeLessThan(45_000);
  expect((await cli.labExec("pve1", "pct", "config", "100")).stdout).not.toMatch(/^lock:/m);
}, 90_000);
