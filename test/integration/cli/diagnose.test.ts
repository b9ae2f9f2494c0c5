import { beforeAll, describe, expect, it } from "vitest";
import { cliSession, json, type PvefixResult } from "./pvefix.js";

const cli = cliSession();

interface Finding {
  kind: string;
  runbook: string;
  severity: string;
  summary: string;
  params: Record<string, unknown>;
  command: string;
}

/** Other runbooks may add findings of their own; these four are what the scenario is about. */
const ours = (findings: Finding[]) =>
  findings.filter((f) => f.runbook === "stuck-lock" || f.runbook === "hung-nfs");

describe("pvefix diagnose --lab on the default scenario", () => {
  let result: PvefixResult;
  let body: { findings: Finding[]; [key: string]: unknown };

  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    result = await cli.pvefix(["diagnose", "--lab", "-o", "json"]);
    body = json<typeof body>(result);
  });

  it("reports each problem of the scenario once, worst first, with the command that fixes it", () => {
    // Exit 11: critical findings (nfs-backup hangs under a running CT), every node answered.
    expect(result.code).toBe(11);
    expect(Object.keys(body)).toEqual([
      "schemaVersion",
      "generatedAt",
      "cluster",
      "status",
      "nodes",
      "findings",
    ]);
    expect(body).toMatchObject({ schemaVersion: 1, cluster: "lab", status: "critical" });
    for (const f of body.findings) {
      expect(f).toMatchObject({
        kind: "problem",
        runbook: expect.any(String),
        severity: expect.stringMatching(/^(critical|warning|info)$/),
        summary: expect.any(String),
        params: expect.any(Object),
        command: expect.stringMatching(/^pvefix /),
      });
    }
    const rank = { critical: 0, warning: 1, info: 2 } as Record<string, number>;
    const ranks = body.findings.map((f) => rank[f.severity] ?? 9);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(ours(body.findings).map((f) => [f.runbook, f.severity, f.params])).toEqual([
      ["hung-nfs", "critical", { storage: "nfs-backup", node: "pve2" }],
      ["stuck-lock", "warning", { vmid: 100 }],
      ["hung-nfs", "warning", { storage: "nfs-iso", node: "pve3" }],
      ["stuck-lock", "info", { vmid: 200 }],
    ]);
    const [backup, ct100, iso, vm200] = ours(body.findings);
    expect(backup?.summary).toContain("CT 105");
    expect(ct100?.summary).toMatch(/CT 100 .*stale lock 'backup'/);
    expect(iso?.summary).toContain("no guest uses it");
    expect(vm200?.summary).toMatch(/not stale.*running task UPID:pve1:[0-9A-F:]+qmigrate:200:root@pam:/);
  });

  it("prints next commands that target the lab, so they work when pasted", () => {
    expect(ours(body.findings).map((f) => f.command)).toEqual([
      "pvefix run hung-nfs --storage nfs-backup --node pve2 --lab",
      "pvefix run stuck-lock --vmid 100 --lab",
      "pvefix run hung-nfs --storage nfs-iso --node pve3 --unattended --lab",
      "pvefix plan stuck-lock --vmid 200 --lab",
    ]);
  });

  it("groups the text report by severity and changes nothing on the cluster", async () => {
    const before = await cli.labExec("pve1", "cat", "/etc/pve/nodes/pve1/lxc/100.conf");
    const text = await cli.pvefix(["diagnose", "--lab"]);
    expect(text.code).toBe(11);
    expect(text.stdout).toMatch(/^\d+ findings: \d+ critical, \d+ warning, \d+ info/);
    expect(group(text.stdout, "critical")).toContain("✖ [pve2] nfs storage 'nfs-backup' hangs on pve2");
    expect(group(text.stdout, "warning")).toContain("! [pve1] CT 100 on pve1 has a stale lock 'backup'");
    expect(group(text.stdout, "warning")).toContain("! [pve3] nfs storage 'nfs-iso' hangs on pve3");
    expect(group(text.stdout, "warning")).toContain("$ pvefix run stuck-lock --vmid 100 --lab\n");
    expect(group(text.stdout, "info")).toContain("i [pve1] VM 200 on pve1 is locked 'migrate' and not stale");
    expect((await cli.labExec("pve1", "cat", "/etc/pve/nodes/pve1/lxc/100.conf")).stdout).toBe(before.stdout);
    expect(json<{ runs: unknown[] }>(await cli.pvefix(["runs", "-o", "json"])).runs).toEqual([]);
  });
});

/** The block under a severity heading such as `warning (2)`, up to the next blank line. */
function group(text: string, severity: string): string {
  return text.split("\n\n").find((block) => block.startsWith(`${severity} (`)) ?? "";
}
