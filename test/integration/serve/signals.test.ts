/**
 * A `pvefix serve` stopped in the middle of a remediation: SIGTERM lets the step end and the run
 * end cleanly (rolled back); SIGKILL leaves a journal without an end, and the next serve rolls
 * the run back from it before it takes new work.
 */
import { describe, expect, it } from "vitest";
import { cliSession } from "../cli/pvefix.js";
import { addToken, hangUnlockOnce, journal, runsOf, startServed, waitUntil, webhook } from "./served.js";

const RULES = `
version: 1
rules:
  - name: locked
    match: { alertname: PveGuestLocked }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    unattended: true
`;

const alert = webhook([
  { labels: { alertname: "PveGuestLocked", vmid: "100", cluster: "lab" }, fingerprint: "sig" },
]);

async function runInStep(cli: ReturnType<typeof cliSession>) {
  const run = await waitUntil("the run to start its step", () =>
    runsOf(cli.stateDir).find((r) => journal(cli.stateDir, r.runId).some((e) => e.type === "step-start")),
  );
  return run.runId;
}

describe("pvefix serve stopped mid-run", () => {
  it("SIGTERM: the running step ends, the run is rolled back, and serve exits 0", async () => {
    const cli = cliSession();
    expect((await cli.pvefix(["lab", "reset", "--scenario", "stuck-lock", "--quiet"])).code).toBe(0);
    const token = await addToken(cli, "am", "requester");
    await hangUnlockOnce(cli);
    const served = await startServed(cli, RULES, { token });
    expect((await served.post("/v1/alerts", alert, token)).json.results[0].verdict).toBe("queued");
    const runId = await runInStep(cli);
    served.child.child.kill("SIGTERM");
    const exited = await served.child.exited;
    expect(exited.code).toBe(0);
    const run = runsOf(cli.stateDir).find((r) => r.runId === runId)!;
    expect(["failed-rolled-back", "interrupted"]).toContain(run.outcome);
    if (run.outcome === "interrupted") expect(run.undoneBy).not.toBeNull();
    expect(exited.stderr).toMatch(/"msg":"stopped"/);
    // Nothing is left half done: the lock the run was removing is still there, no node lock is held.
    expect((await cli.labExec("pve1", "pct", "config", "100")).stdout).toMatch(/^lock: backup$/m);
    expect((await cli.labExec("pve1", "ls", "/run")).stdout).not.toContain("pvefix.lock");
  }, 90_000);

  it("SIGKILL: the next serve rolls the run back from its journal before taking new work", async () => {
    const cli = cliSession();
    expect((await cli.pvefix(["lab", "reset", "--scenario", "stuck-lock", "--quiet"])).code).toBe(0);
    const token = await addToken(cli, "am", "requester");
    await hangUnlockOnce(cli);
    const first = await startServed(cli, RULES, { token });
    await first.post("/v1/alerts", alert, token);
    const runId = await runInStep(cli);
    first.child.child.kill("SIGKILL");
    await first.child.exited;
    expect(runsOf(cli.stateDir).find((r) => r.runId === runId)?.outcome).toBe("interrupted");

    const second = await startServed(cli, RULES, { token });
    try {
      expect(second.child.output()).toMatch(/"msg":"rolled back a stopped run".*"outcome":"undone"/);
      const undo = runsOf(cli.stateDir).find((r) => r.undoOf === runId);
      expect(undo?.outcome).toBe("undone");
      expect(runsOf(cli.stateDir).find((r) => r.runId === runId)?.undoneBy).toBe(undo?.runId);
      const start = journal(cli.stateDir, undo!.runId).find((e) => e.type === "run-start");
      expect(start).toMatchObject({ trigger: { source: "serve", why: "interrupted (the service died)" } });
      // And it takes new work after: the same alert, firing again later, remediates.
      const again = webhook([
        {
          labels: { alertname: "PveGuestLocked", vmid: "100", cluster: "lab" },
          fingerprint: "sig",
          startsAt: "2026-12-02T00:00:00Z",
        },
      ]);
      expect((await second.post("/v1/alerts", again, token)).json.results[0].verdict).toBe("queued");
    } finally {
      await second.stop();
    }
  }, 90_000);
});
