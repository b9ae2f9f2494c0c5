/**
 * `pvefix serve --inventory-dir DIR`: one service for every cluster whose inventory is in DIR.
 * Two inventories name two clusters (here both reach the lab served over real SSH, under two
 * names); an alert is remediated on the cluster its label names, and only there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LabServer, resetLab, serveLab } from "../../../src/lab/index.js";
import { cliSession, type Started } from "../cli/pvefix.js";
import { addToken, journal, runsOf, waitUntil, webhook } from "./served.js";

const cli = cliSession();
let lab: LabServer;
let serve: Started | undefined;
let dir: string;

beforeAll(async () => {
  await resetLab({ stateDir: cli.stateDir, scenario: "stuck-lock" });
  lab = await serveLab({ stateDir: cli.stateDir });
  dir = path.join(cli.stateDir, "inventories");
  fs.mkdirSync(dir);
  const text = fs.readFileSync(lab.inventoryPath, "utf8");
  fs.writeFileSync(path.join(dir, "east.yaml"), text.replace(/^cluster: .*$/m, "cluster: east"));
  fs.writeFileSync(path.join(dir, "west.yaml"), text.replace(/^cluster: .*$/m, "cluster: west"));
  fs.writeFileSync(path.join(dir, "README.txt"), "not an inventory: ignored\n");
});

afterAll(async () => {
  serve?.child.kill("SIGTERM");
  await serve?.exited;
  await lab.close();
});

it("refuses --inventory-dir beside -i, naming the flag, and starts nothing", async () => {
  const r = await cli.pvefix(["serve", "--inventory-dir", dir, "-i", lab.inventoryPath]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("--inventory-dir");
});

it("serves every cluster of the folder and remediates the one an alert names", async () => {
  const token = await addToken(cli, "alertmanager", "requester");
  const rules = path.join(cli.stateDir, "rules.yaml");
  fs.writeFileSync(
    rules,
    `version: 1
rules:
  - { name: locked, match: { alertname: PveGuestLocked }, runbook: stuck-lock, params: { vmid: "{{ labels.vmid }}" }, unattended: true }
`,
  );
  serve = cli.start(["serve", "--inventory-dir", dir, "--rules", rules, "--listen", "127.0.0.1:0"]);
  await serve.waitFor(/"listening":"http:\/\/127\.0\.0\.1:\d+"/, 30_000);
  expect(serve.output()).toContain('"clusters":["east","west"]');
  const url = /"listening":"(http:[^"]+)"/.exec(serve.output())?.[1] as string;
  const post = (cluster: string) =>
    fetch(`${url}/v1/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(
        webhook([{ labels: { alertname: "PveGuestLocked", vmid: "100", cluster }, fingerprint: cluster }]),
      ),
    });
  // A cluster the folder does not hold is named in the answer, and nothing runs.
  const unknown = (await (await post("north")).json()) as { results: Array<Record<string, string>> };
  expect(unknown.results).toEqual([
    expect.objectContaining({
      verdict: "unknown-cluster",
      cluster: "north",
      message: "this service serves east, west",
    }),
  ]);

  expect((await post("west")).status).toBe(202);
  const run = await waitUntil(
    "the run on west",
    () => runsOf(cli.stateDir).find((r) => r.outcome !== "running"),
    45_000,
  );
  expect(run.outcome).toBe("done");
  expect(run.cluster).toBe("west");
  expect(journal(cli.stateDir, run.runId).find((e) => e.type === "run-start")).toMatchObject({
    inventory: path.join(dir, "west.yaml"),
  });
  expect(runsOf(cli.stateDir).filter((r) => r.cluster === "east")).toEqual([]);
}, 90_000);
