import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliSession, json } from "./pvefix.js";

const cli = cliSession();
const CT100 = "/etc/pve/nodes/pve1/lxc/100.conf";
const file = (name: string) => path.join(cli.stateDir, name);
const runCount = async () => json<{ runs: unknown[] }>(await cli.pvefix(["runs", "-o", "json"])).runs.length;

async function savePlan(name: string): Promise<void> {
  const result = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--lab", "--save", file(name)]);
  expect(result.code).toBe(0);
  expect(result.stderr).toContain(`Saved plan to ${file(name)}`);
}

describe("a saved plan applied while the cluster still matches it", () => {
  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    await savePlan("fresh.json");
  });

  it("saves the plan as JSON with its format version and fingerprint", () => {
    const saved = JSON.parse(fs.readFileSync(file("fresh.json"), "utf8")) as Record<string, unknown>;
    expect(saved).toMatchObject({
      formatVersion: 1,
      runbook: "stuck-lock",
      params: { vmid: 100 },
      cluster: "lab",
    });
    expect(saved.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("applies it unattended with exit 0", async () => {
    const result = await cli.pvefix(["apply", file("fresh.json"), "--lab", "--unattended", "-o", "json"]);
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ outcome: "done", runbook: "stuck-lock" });
    expect((await cli.labExec("pve1", "cat", CT100)).stdout).not.toMatch(/^lock:/m);
  });
});

describe("a saved plan applied after the cluster changed", () => {
  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    await savePlan("stale.json");
    expect((await cli.labExec("pve1", "pct", "unlock", "100")).code).toBe(0);
  });

  it("refuses with exit 3, saying the plan is stale and which fact changed", async () => {
    const result = await cli.pvefix(["apply", file("stale.json"), "--lab", "--unattended"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("Saved plan is stale: the cluster changed after the plan was made");
    expect(result.stdout).toContain('changed: lock: "backup" → null');
    expect(result.stdout).toContain("nothing was changed");
  });
});

describe("a plan file pvefix cannot read", () => {
  it("rejects format version 9 and a file that is not JSON with exit 2, journaling nothing", async () => {
    const plan = JSON.parse(fs.readFileSync(file("fresh.json"), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(file("v9.json"), JSON.stringify({ ...plan, formatVersion: 9 }));
    fs.writeFileSync(file("garbage.json"), "not json {");
    const runsBefore = await runCount();
    const v9 = await cli.pvefix(["apply", file("v9.json"), "--lab", "--unattended"]);
    expect(v9.code).toBe(2);
    expect(v9.stderr).toContain("unsupported plan file format version 9; only version 1 is supported");
    const garbage = await cli.pvefix(["apply", file("garbage.json"), "--lab", "--unattended"]);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain(`cannot read plan file ${file("garbage.json")}`);
    expect(await runCount()).toBe(runsBefore);
  });
});

describe("a saved plan applied after only its local --file changed", () => {
  it("says the local file changed, not the cluster", async () => {
    expect((await cli.pvefix(["lab", "reset", "--scenario", "not-quorate-config", "--quiet"])).code).toBe(0);
    const conf = (await cli.labExec("pve1", "cat", "/etc/pve/corosync.conf")).stdout;
    fs.writeFileSync(file("new.conf"), conf.replace("  version: 2", "  version: 2\n  token: 4000"));
    const args = ["--node", "pve1", "--file", file("new.conf"), "--lab"];
    expect(
      (await cli.pvefix(["plan", "not-quorate-config", ...args, "--save", file("local.json")])).code,
    ).toBe(0);
    fs.writeFileSync(file("new.conf"), conf.replace("  version: 2", "  version: 2\n  token: 4500"));
    const result = await cli.pvefix(["apply", file("local.json"), "--lab", "--unattended"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("Saved plan is stale: the local file changed after the plan was made");
    expect(result.stdout).toContain("changed: newContent.sha256");
  });
});
