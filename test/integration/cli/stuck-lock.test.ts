import { beforeAll, describe, expect, it } from "vitest";
import { cliSession, json } from "./pvefix.js";

const cli = cliSession();
const CT100 = "/etc/pve/nodes/pve1/lxc/100.conf";

interface PlanJson {
  kind: string;
  plan: { steps: Array<{ node: string; risk: string; actions: Array<{ command?: string }> }> };
}
interface RunJson {
  runId: string;
  outcome: string;
  exitCode: number;
}

const ct100 = async () => (await cli.labExec("pve1", "cat", CT100)).stdout;
const runs = async () =>
  json<{ runs: Array<Record<string, unknown>> }>(await cli.pvefix(["runs", "-o", "json"])).runs;

describe("stuck-lock on the lab: plan, guards and bad input", () => {
  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset"])).code).toBe(0);
  });

  it("plans `pct unlock 100` on pve1 for the stale lock of CT 100", async () => {
    const result = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--lab", "-o", "json"]);
    expect(result.code).toBe(0);
    const body = json<PlanJson>(result);
    expect(body.kind).toBe("plan");
    expect(body.plan.steps).toHaveLength(1);
    expect(body.plan.steps[0]).toMatchObject({ node: "pve1", risk: "safe" });
    expect(body.plan.steps[0]?.actions.map((a) => a.command)).toEqual(["pct unlock 100"]);
  });

  it("prints next commands that reach the same cluster when pasted", async () => {
    const result = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--lab"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  pvefix run stuck-lock --vmid 100 --unattended --lab\n");
    expect(result.stdout).toContain("  pvefix apply plan.json --lab\n");
  });

  it("repeats an explicit --state-dir in the next commands, where the lab and the runs are", async () => {
    const result = await cli.pvefix([
      "--state-dir",
      cli.stateDir,
      "plan",
      "stuck-lock",
      "--vmid",
      "100",
      "--lab",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`  pvefix apply plan.json --lab --state-dir ${cli.stateDir}\n`);
  });

  it("refuses to unlock VM 200 while its migration task runs, naming the task's UPID", async () => {
    const result = await cli.pvefix(["plan", "stuck-lock", "--vmid", "200", "--lab"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("task-holds-lock");
    expect(result.stdout).toMatch(/UPID:pve1:00001010:[0-9A-F]+:[0-9A-F]+:qmigrate:200:root@pam:/);
    expect(result.stdout).toContain("nothing was changed");
  });

  it("rejects a shell injection in --vmid with exit 2, naming the flag, and changes nothing", async () => {
    const sum = () => cli.labExec("pve1", "sha256sum", CT100);
    const before = await sum();
    const attempts = [
      ["plan", "stuck-lock", "--vmid", "100; rm -rf /", "--lab"],
      ["run", "stuck-lock", "--vmid", "100; rm -rf /", "--lab", "--unattended"],
    ];
    for (const args of attempts) {
      const result = await cli.pvefix(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("--vmid");
      expect(result.stderr).toContain('"100; rm -rf /"');
      expect(result.stdout).toBe("");
    }
    expect((await sum()).stdout).toBe(before.stdout);
    expect(before.stdout).toMatch(/^[0-9a-f]{64} {2}\/etc\/pve\/nodes\/pve1\/lxc\/100\.conf\n$/);
    expect(await runs()).toEqual([]);
  });
});

describe("stuck-lock on the lab: run and undo", () => {
  let original: string;
  let run: RunJson;

  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    original = await ct100();
    expect(original).toMatch(/^lock: backup$/m);
  });

  it("removes the lock unattended and journals the run", async () => {
    const result = await cli.pvefix([
      "run",
      "stuck-lock",
      "--vmid",
      "100",
      "--lab",
      "--unattended",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    run = json<RunJson>(result);
    expect(run).toMatchObject({ outcome: "done", exitCode: 0 });
    expect(run.runId).toMatch(/stuck-lock/);
    const after = await ct100();
    expect(after).not.toMatch(/^lock:/m);
    // Only the lock line goes: comments, order and every other key stay as they were.
    expect(after).toBe(original.replace("lock: backup\n", ""));
  });

  it("puts the lock back on undo, byte for byte", async () => {
    const result = await cli.pvefix(["undo", run.runId, "--lab"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Undone");
    expect(await ct100()).toBe(original);
    const listed = await runs();
    expect(listed.map((r) => [r.outcome, r.undoOf])).toEqual([
      ["done", null],
      ["undone", run.runId],
    ]);
    expect(listed[0]?.undoneBy).toBe(listed[1]?.runId);
  });

  it("says there is nothing to undo the second time, exits 0 and changes nothing", async () => {
    const result = await cli.pvefix(["undo", run.runId, "--lab"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/nothing to undo/i);
    expect(await ct100()).toBe(original);
    expect(await runs()).toHaveLength(2);
  });
});
