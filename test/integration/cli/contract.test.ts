/**
 * The CLI's contract with scripts and with the operator who pastes what it prints: one JSON
 * document for every outcome under `-o json`, with schema version, time and cluster; flags that
 * parse back as printed; runs named by prefix or `last`; undo that finds the lab from the journal.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as shellSplit } from "shell-quote";
import { beforeAll, describe, expect, it } from "vitest";
import { cliSession, json } from "./pvefix.js";

const cli = cliSession();

beforeAll(async () => {
  expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
});

describe("-o json always prints one document", () => {
  it("for bad input (exit 2), naming the missing flag and what it takes", async () => {
    const result = await cli.pvefix(["run", "stuck-lock", "--lab", "-o", "json"]);
    expect(result.code).toBe(2);
    expect(json(result)).toMatchObject({
      schemaVersion: 1,
      kind: "error",
      exitCode: 2,
      error: {
        code: "PVEFIX_BAD_INPUT",
        message: "Missing required flag --vmid: Guest id (CT or VM) whose lock to remove",
      },
    });
    expect(result.stderr).toContain("Missing required flag --vmid");
  });

  it("for a usage error and for an unknown run", async () => {
    const usage = await cli.pvefix(["plan", "stuck-lock", "--vmdi", "100", "--lab", "-o", "json"]);
    expect(usage.code).toBe(2);
    expect(json(usage)).toMatchObject({ kind: "error", exitCode: 2, error: { code: "PVEFIX_USAGE" } });
    const unknown = await cli.pvefix(["show", "20991231T000000Z-nope-0000", "-o", "json"]);
    expect(unknown.code).toBe(2);
    expect(json(unknown)).toMatchObject({ error: { code: "PVEFIX_RUN_NOT_FOUND" } });
    // The hint's command reaches the same cluster when pasted.
    const hinted = await cli.pvefix(["undo", "20991231T000000Z-nope-0000", "--lab"]);
    expect(hinted.stderr).toContain("run `pvefix runs --lab` to list runs");
  });

  it("with schemaVersion, generatedAt and cluster on run, show, runs and undo, and for nothing to undo", async () => {
    const run = await cli.pvefix([
      "run",
      "stuck-lock",
      "--vmid",
      "100",
      "--lab",
      "--unattended",
      "-o",
      "json",
    ]);
    expect(run.code).toBe(0);
    const result = json<{ runId: string; schemaVersion: number; generatedAt: string; cluster: string }>(run);
    expect(result).toMatchObject({ schemaVersion: 1, cluster: "lab", outcome: "done" });
    expect(Date.parse(result.generatedAt)).not.toBeNaN();
    expect(json(await cli.pvefix(["show", result.runId, "-o", "json"]))).toMatchObject({
      schemaVersion: 1,
      cluster: "lab",
      runId: result.runId,
    });
    expect(json(await cli.pvefix(["runs", "-o", "json"]))).toMatchObject({ schemaVersion: 1 });
    // Undo without --lab: the journal says the run was on the lab.
    const undo = await cli.pvefix(["undo", result.runId, "-o", "json"]);
    expect(undo.code).toBe(0);
    expect(json(undo)).toMatchObject({ schemaVersion: 1, cluster: "lab", outcome: "undone" });
    const again = await cli.pvefix(["undo", result.runId, "-o", "json"]);
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({
      kind: "nothing-to-undo",
      exitCode: 0,
      error: { code: "PVEFIX_NOTHING_TO_UNDO" },
    });
  });

  it("for plan, list and explain, and Markdown ends with the same facts", async () => {
    expect(
      json(await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--lab", "-o", "json"])),
    ).toMatchObject({
      schemaVersion: 1,
      cluster: "lab",
      kind: "plan",
    });
    expect(json(await cli.pvefix(["list", "-o", "json"]))).toMatchObject({ schemaVersion: 1 });
    expect(json(await cli.pvefix(["explain", "stuck-lock", "-o", "json"]))).toMatchObject({
      schemaVersion: 1,
    });
    const md = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--lab", "-o", "md"]);
    expect(md.stdout).toMatch(
      /<sub>pvefix output schema 1 · generated \d{4}-\d\d-\d\dT[\d:.]+Z · cluster lab<\/sub>\n$/,
    );
  });
});

describe("runs by prefix, last, and filters", () => {
  it("shows `last` and a unique prefix, and refuses an ambiguous one with exit 2", async () => {
    const last = await cli.pvefix(["show", "last"]);
    expect(last.code).toBe(0);
    const id = /Run (\S+) \(/.exec(last.stdout)?.[1] ?? "";
    expect(id).toMatch(/-stuck-lock-/);
    const byPrefix = await cli.pvefix(["show", id.slice(0, -2)]);
    expect(byPrefix.code).toBe(0);
    expect(byPrefix.stdout).toContain(`Run ${id}`);
    const ambiguous = await cli.pvefix(["show", "2"]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/Run id prefix `2` matches \d+ runs/);
  });

  it("limits and filters the list", async () => {
    const all = json<{ runs: unknown[] }>(await cli.pvefix(["runs", "-o", "json", "--limit", "0"]));
    expect(all.runs.length).toBeGreaterThanOrEqual(2);
    expect(
      json<{ runs: unknown[] }>(await cli.pvefix(["runs", "-o", "json", "--limit", "1"])).runs,
    ).toHaveLength(1);
    expect(
      json<{ runs: unknown[] }>(await cli.pvefix(["runs", "-o", "json", "--runbook", "hung-nfs"])).runs,
    ).toEqual([]);
    const bad = await cli.pvefix(["runs", "--limit", "many"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--limit");
  });
});

describe("input the operator gets wrong", () => {
  it("refuses a repeated single-valued flag with exit 2", async () => {
    const result = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--vmid", "200", "--lab"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--vmid was given twice ("100" and "200")');
  });

  it("says a --file that cannot be read is bad input (exit 2), not a refusal", async () => {
    const result = await cli.pvefix([
      "plan",
      "not-quorate-config",
      "--node",
      "pve1",
      "--file",
      "/nonexistent/new.conf",
      "--lab",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Cannot read /nonexistent/new.conf: no such file\n  → at --file");
  });

  it("rejects shell metacharacters in an inventory's host, user and jump, naming the field and the node", async () => {
    const file = path.join(cli.stateDir, "evil.yaml");
    fs.writeFileSync(
      file,
      "cluster: c\nnodes:\n  - name: pve1\n    host: 'pve1;touch /tmp/x'\n  - name: pve2\n    user: '$(id)'\n    jump: 'pve1 -oProxyCommand=x'\n",
    );
    const result = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "-i", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("nodes[0].host (node pve1): a host name");
    expect(result.stderr).toContain("nodes[1].user (node pve2): a user name");
    expect(result.stderr).toContain("nodes[1].jump (node pve2): a jump host");
  });

  it("lists the global flags in a subcommand's help", async () => {
    const help = await cli.pvefix(["run", "stuck-lock", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Global Options:");
    expect(help.stdout).toContain("-i, --inventory <file>");
  });
});

describe("printed commands parse back as printed", () => {
  it("keeps every item of a list flag when the printed command is pasted", async () => {
    await cli.pvefix(["lab", "reset", "--quiet", "--scenario", "restart-pve-services"]);
    const plan = await cli.pvefix([
      "plan",
      "restart-pve-services",
      "--node",
      "pve2",
      "--services",
      "pvestatd,pve-cluster",
      "--lab",
    ]);
    expect(plan.code).toBe(0);
    const line = plan.stdout.split("\n").find((l) => l.trim().startsWith("pvefix run restart-pve-services"));
    expect(line?.trim()).toBe(
      "pvefix run restart-pve-services --node pve2 --services pvestatd,pve-cluster --lab",
    );
    // Pasted as a plan command, it plans the same two units.
    const words = shellSplit(line!.trim().replace(/^pvefix run /, "plan ")).map(String);
    const again = await cli.pvefix([...words, "-o", "json"]);
    expect(json<{ plan: { params: { services: string[] } } }>(again).plan.params.services).toEqual([
      "pvestatd",
      "pve-cluster",
    ]);
  });
});
