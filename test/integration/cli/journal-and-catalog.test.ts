import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runbooks } from "../../../runbooks/index.js";
import { cliSession, json, ROOT } from "./pvefix.js";

const cli = cliSession();

interface JournalEntry {
  type: string;
  phase?: string;
  outcome?: string;
  result?: { node: string; command: string; exitCode: number };
}

describe("runs and show", () => {
  let runId: string;

  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
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
    runId = json<{ runId: string }>(run).runId;
  });

  it("lists the run with its runbook, parameters and outcome", async () => {
    const text = await cli.pvefix(["runs"]);
    expect(text.code).toBe(0);
    const row = text.stdout.split("\n").find((l) => l.startsWith(runId));
    expect(row).toMatch(/stuck-lock\s+--vmid 100\s+done/);
    const listed = json<{ runs: Array<Record<string, unknown>> }>(await cli.pvefix(["runs", "-o", "json"]));
    expect(listed.runs).toEqual([
      expect.objectContaining({
        runId,
        runbook: "stuck-lock",
        mode: "unattended",
        params: { vmid: 100 },
        outcome: "done",
      }),
    ]);
  });

  it("shows the run's timeline: probes, the decision, the backup, the unlock and the outcome", async () => {
    const text = await cli.pvefix(["show", runId]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^Run ${runId} \\(stuck-lock, unattended\\)`));
    expect(text.stdout).toContain("[pve1] $ cat /etc/pve/nodes/pve1/lxc/100.conf  # probe");
    expect(text.stdout).toContain("decision: plan: Remove the stale lock 'backup' from CT 100 on pve1");
    expect(text.stdout).toMatch(
      /backup unlock-100: pve1:\/etc\/pve\/nodes\/pve1\/lxc\/100\.conf sha256 [0-9a-f]{12}/,
    );
    expect(text.stdout).toMatch(/\[pve1\] \$ pct unlock 100\n\s+✔ \(exit 0/);
    expect(text.stdout).toMatch(/outcome: done .*exit 0/);
  });

  it("shows the same run as JSON journal entries, in order", async () => {
    const shown = json<{ runId: string; entries: JournalEntry[] }>(
      await cli.pvefix(["show", runId, "-o", "json"]),
    );
    expect(shown.runId).toBe(runId);
    const { entries } = shown;
    const types = entries.map((e) => e.type);
    expect(types[0]).toBe("run-start");
    expect(types.at(-1)).toBe("run-end");
    const order = ["facts", "decision", "step-start", "step-end", "run-end"].map((t) => types.indexOf(t));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const unlock = entries.find((e) => e.result?.command === "pct unlock 100");
    expect(unlock).toMatchObject({ type: "command", result: { node: "pve1", exitCode: 0 } });
    expect(entries.at(-1)).toMatchObject({ outcome: "done" });
  });

  it("says how to list runs when a run id is unknown, with exit 2", async () => {
    const result = await cli.pvefix(["show", "20990101T000000Z-nope-0000"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("No run 20990101T000000Z-nope-0000");
    expect(result.stderr).toContain("pvefix runs");
  });
});

describe("parse", () => {
  it("parses pvecm status pasted on stdin into JSON facts", async () => {
    const sample = fs.readFileSync(path.join(ROOT, "test/fixtures/pvecm-status-quorate.txt"), "utf8");
    const result = await cli.pvefix(["parse", "pvecm-status", "-", "-o", "json"], { stdin: sample });
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({
      cluster: { name: "prod-cl01", transport: "knet" },
      quorum: { quorate: true, nodes: 3, ringId: { raw: "1.4f2" } },
      votequorum: { expectedVotes: 3, quorum: 2 },
    });
  });

  it("rejects an unknown format with exit 2, naming the formats it knows", async () => {
    const result = await cli.pvefix(["parse", "nope", "-"], { stdin: "" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown format `nope`: expected one of .*pvecm-status/);
    expect(result.stderr).toContain("proc-mounts");
  });
});

describe("list and explain", () => {
  it("lists every runbook with its risk and unattended eligibility", async () => {
    const result = await cli.pvefix(["list"]);
    expect(result.code).toBe(0);
    for (const { meta } of runbooks) {
      expect(result.stdout).toMatch(new RegExp(`^${meta.id}\\s+${meta.risk}\\s+${meta.unattended}\\s`, "m"));
    }
  });

  it("explains stuck-lock in every section, in order", async () => {
    const result = await cli.pvefix(["explain", "stuck-lock"]);
    expect(result.code).toBe(0);
    const sections = [
      "SUMMARY",
      "DESCRIPTION",
      "PARAMETERS",
      "WHAT IT CHECKS",
      "WHAT IT ASKS",
      "WHAT IT CHANGES",
      "HOW IT UNDOES",
      "WHAT IT REFUSES",
      "ATTRIBUTES",
      "EXAMPLES",
      "WHAT IT RETURNS",
      "NOTES",
      "SEE ALSO",
    ];
    const at = sections.map((s) => result.stdout.search(new RegExp(`^${s}$`, "m")));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(result.stdout).toContain("--vmid");
    expect(result.stdout).toContain("task-holds-lock");
    expect(result.stdout).toContain("pct set <id> --lock <previous>");
  });

  it("rejects an unknown runbook with exit 2, naming the known ones", async () => {
    const result = await cli.pvefix(["explain", "nope"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown runbook `nope`: expected one of [a-z-]+(, [a-z-]+){9}\n/);
    for (const id of ["stuck-lock", "hung-nfs", "corosync-links", "zfs-replication-divergence"])
      expect(result.stderr).toContain(id);
  });
});
