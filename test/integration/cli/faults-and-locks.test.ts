import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliSession, json, type PvefixResult, type Started } from "./pvefix.js";

const cli = cliSession();
const CT100 = "/etc/pve/nodes/pve1/lxc/100.conf";

interface JournalEntry {
  type: string;
  phase?: string;
  result?: { node: string; command: string; timedOut: boolean };
}

const ct100Sum = async () => (await cli.labExec("pve1", "sha256sum", CT100)).stdout;
const runs = async () =>
  json<{ runs: Array<{ runId: string; outcome: string }> }>(await cli.pvefix(["runs", "-o", "json"])).runs;

describe("a step that fails", () => {
  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
  });

  it("ends the run with exit 1, rolled back, the config byte-identical and the fault used up", async () => {
    const before = await ct100Sum();
    const add = [
      "lab",
      "fault",
      "add",
      "--node",
      "pve1",
      "--match",
      "pct unlock",
      "--action",
      "fail",
      "--times",
      "1",
    ];
    expect((await cli.pvefix(add)).code).toBe(0);
    const result = await cli.pvefix(["run", "stuck-lock", "--vmid", "100", "--lab", "--unattended"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^✖ Failed and rolled back: step unlock-100 failed: Command failed with exit code 1: pct unlock 100 \(on pve1\)/,
    );
    expect(await ct100Sum()).toBe(before);
    expect(JSON.parse((await cli.pvefix(["lab", "fault", "list"])).stdout)).toEqual([]);
    expect((await runs()).map((r) => r.outcome)).toEqual(["failed-rolled-back"]);
  });
});

describe("a probe that hangs, and a second run meanwhile", () => {
  const lockFile = path.join(cli.stateDir, "locks", "lab.lock");
  let first: Started;
  let firstRunId: string;
  let second: PvefixResult;
  let firstResult: PvefixResult;
  let elapsedMs: number;
  let before: string;
  let earlierRuns: number;

  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    before = await ct100Sum();
    earlierRuns = (await runs()).length;
    const hang = ["lab", "fault", "add", "--node", "pve1", "--match", "cat /var/log/pve/tasks/active"];
    expect((await cli.pvefix([...hang, "--action", "hang", "--times", "1"])).code).toBe(0);
    const started = Date.now();
    first = cli.start(["run", "stuck-lock", "--vmid", "100", "--lab", "--unattended"]);
    firstRunId = await lockHolder(lockFile);
    second = await cli.pvefix(["run", "stuck-lock", "--vmid", "100", "--lab", "--unattended"]);
    firstResult = await first.exited;
    elapsedMs = Date.now() - started;
  });

  it("refuses the second run with exit 3, naming the run that holds the lock", () => {
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`Another pvefix run is active on cluster lab: ${firstRunId}`);
    expect(second.stderr).toContain(`pvefix show ${firstRunId}`);
  });

  it("refuses the first run after the 10 s probe timeout with exit 3 and changes nothing", async () => {
    expect(firstResult.code).toBe(3);
    expect(firstResult.stdout).toMatch(/Refused \(probe-failed\)/);
    expect(firstResult.stdout).toContain("/var/log/pve/tasks/active");
    expect(elapsedMs).toBeGreaterThanOrEqual(10_000);
    expect(await ct100Sum()).toBe(before);
    const { entries } = json<{ entries: JournalEntry[] }>(
      await cli.pvefix(["show", firstRunId, "-o", "json"]),
    );
    const hung = entries.find((e) => e.result?.command === "cat /var/log/pve/tasks/active");
    expect(hung?.result).toMatchObject({ node: "pve1", timedOut: true });
  });

  it("journals only the first run, and frees the lock once it ended", async () => {
    const journaled = (await runs()).slice(earlierRuns);
    expect(journaled.map((r) => [r.runId, r.outcome])).toEqual([[firstRunId, "refused"]]);
    expect(fs.existsSync(lockFile)).toBe(false);
    const third = await cli.pvefix(["run", "stuck-lock", "--vmid", "100", "--lab", "--unattended"]);
    expect(third.code).toBe(0);
  });
});

/** The run id in the state lock, once a run has taken it. */
async function lockHolder(file: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      return (JSON.parse(fs.readFileSync(file, "utf8")) as { runId: string }).runId;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`no run took ${file} within ${timeoutMs} ms`);
}
