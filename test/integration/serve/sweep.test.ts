/** A sweep (`diagnose` on a schedule) feeds its findings through the alert path: the eligible one runs unattended. */
import { expect, it } from "vitest";
import { cliSession } from "../cli/pvefix.js";
import { addToken, journal, runsOf, startServed, waitUntil } from "./served.js";

it("a sweep finds the stale lock on the lab and removes it once; the next sweeps start nothing", async () => {
  const cli = cliSession();
  expect((await cli.pvefix(["lab", "reset", "--scenario", "stuck-lock", "--quiet"])).code).toBe(0);
  const token = await addToken(cli, "viewer", "viewer");
  const served = await startServed(
    cli,
    `version: 1
sweeps: [{ cluster: lab, every: 2s }]
findings: [{ runbook: stuck-lock, severity: [info, warning, critical], unattended: true }]
policy: { storm: { maxAlerts: 1000, maxNodeShare: 1 } }
`,
    { token },
  );
  try {
    const run = await waitUntil(
      "a sweep's run",
      () => runsOf(cli.stateDir).find((r) => r.outcome === "done"),
      45_000,
    );
    expect(journal(cli.stateDir, run.runId).find((e) => e.type === "run-start")).toMatchObject({
      trigger: { source: "sweep", by: "sweep", rule: "findings:stuck-lock" },
    });
    // Two more sweeps: every finding left is refused or not eligible, none runs twice.
    await new Promise((r) => setTimeout(r, 5_000));
    const ran = runsOf(cli.stateDir).filter((r) => r.mode === "unattended");
    const targets = ran.map((r) => JSON.stringify(r.params));
    expect(new Set(targets).size).toBe(targets.length);
    expect((await cli.labExec("pve1", "pct", "config", "100")).stdout).not.toMatch(/^lock:/m);
  } finally {
    await served.stop();
  }
}, 90_000);
