import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/engine/model.js";
import { renderFindings } from "../../src/views/findings.js";

const plain = { color: false };

const findings: Finding[] = [
  {
    runbook: "stuck-lock",
    severity: "info",
    node: "pve1",
    params: { vmid: 105 },
    summary: "CT 105 on pve1 is locked 'backup' and not stale: a running vzdump holds it",
    command: "pvefix plan stuck-lock --vmid 105",
  },
  {
    runbook: "hung-nfs",
    severity: "critical",
    node: "pve2",
    params: { storage: "nfs-backup", node: "pve2" },
    summary: "nfs storage 'nfs-backup' hangs on pve2; running guests affected: CT 101",
    command: "pvefix run hung-nfs --storage nfs-backup --node pve2",
  },
  {
    runbook: "stuck-lock",
    severity: "warning",
    params: { vmid: 100 },
    summary: "CT 100 on pve2 has a stale lock 'backup': no running task holds it",
    command: "pvefix run stuck-lock --vmid 100",
  },
];

describe("renderFindings", () => {
  it("emits JSON with exactly runbook, severity, summary, params, command and node, critical first", () => {
    const extra = { ...findings[0]!, evidence: "not part of the contract" } as Finding;
    const json = JSON.parse(renderFindings([extra, findings[1]!, findings[2]!], "json", plain));
    expect(Object.keys(json)).toEqual(["findings"]);
    expect(json.findings.map((f: Record<string, unknown>) => Object.keys(f))).toEqual([
      ["runbook", "severity", "summary", "params", "command", "node"],
      ["runbook", "severity", "summary", "params", "command"],
      ["runbook", "severity", "summary", "params", "command", "node"],
    ]);
    expect(json.findings[0]).toEqual({
      runbook: "hung-nfs",
      severity: "critical",
      summary: "nfs storage 'nfs-backup' hangs on pve2; running guests affected: CT 101",
      params: { storage: "nfs-backup", node: "pve2" },
      command: "pvefix run hung-nfs --storage nfs-backup --node pve2",
      node: "pve2",
    });
    expect(json.findings.map((f: Finding) => f.severity)).toEqual(["critical", "warning", "info"]);
  });

  it("groups text by severity, critical first, with the exact next command under each finding", () => {
    expect(renderFindings(findings, "text", plain)).toMatchInlineSnapshot(`
      "3 findings: 1 critical, 1 warning, 1 info

      critical (1)
        ✖ [pve2] nfs storage 'nfs-backup' hangs on pve2; running guests affected: CT 101
          $ pvefix run hung-nfs --storage nfs-backup --node pve2

      warning (1)
        ! CT 100 on pve2 has a stale lock 'backup': no running task holds it
          $ pvefix run stuck-lock --vmid 100

      info (1)
        i [pve1] CT 105 on pve1 is locked 'backup' and not stale: a running vzdump holds it
          $ pvefix plan stuck-lock --vmid 105"
    `);
  });

  it("renders a Markdown table", () => {
    expect(renderFindings(findings, "md", plain)).toMatchInlineSnapshot(`
      "# Diagnosis

      3 findings: 1 critical, 1 warning, 1 info.

      | Severity | Node | Runbook | Finding | Next command |
      |---|---|---|---|---|
      | critical | pve2 | \`hung-nfs\` | nfs storage 'nfs-backup' hangs on pve2; running guests affected: CT 101 | \`pvefix run hung-nfs --storage nfs-backup --node pve2\` |
      | warning |  | \`stuck-lock\` | CT 100 on pve2 has a stale lock 'backup': no running task holds it | \`pvefix run stuck-lock --vmid 100\` |
      | info | pve1 | \`stuck-lock\` | CT 105 on pve1 is locked 'backup' and not stale: a running vzdump holds it | \`pvefix plan stuck-lock --vmid 105\` |"
    `);
  });

  it("says no problems were found when there are no findings", () => {
    expect(renderFindings([], "text", plain)).toBe("✔ no problems found");
    expect(renderFindings([], "md", plain)).toContain("No problems found.");
    expect(JSON.parse(renderFindings([], "json", plain))).toEqual({ findings: [] });
  });
});
