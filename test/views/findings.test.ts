import { describe, expect, it } from "vitest";
import { type Diagnosis, diagnosisStatus } from "../../src/engine/diagnose.js";
import type { Finding } from "../../src/engine/model.js";
import { renderDiagnosis } from "../../src/views/findings.js";

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

function diagnosis(list: Finding[], over: Partial<Diagnosis> = {}): Diagnosis {
  const d: Diagnosis = {
    cluster: "lab",
    generatedAt: "2026-12-05T00:41:02.000Z",
    nodes: { up: ["pve1", "pve2", "pve3"], down: [] },
    findings: list,
    unreachable: [],
    failures: [],
    status: "clear",
    ...over,
  };
  return { ...d, status: diagnosisStatus(d.findings, d.unreachable, d.failures) };
}

/** The old call shape: a list of findings in, a report out. */
const renderFindings = (list: Finding[], format: "text" | "md" | "json", opts: { color: boolean }) =>
  renderDiagnosis(diagnosis(list), format, opts);

describe("renderDiagnosis", () => {
  it("emits JSON with exactly runbook, severity, summary, params, command and node, critical first", () => {
    const extra = { ...findings[0]!, evidence: "not part of the contract" } as Finding;
    const json = JSON.parse(renderFindings([extra, findings[1]!, findings[2]!], "json", plain));
    expect(Object.keys(json)).toEqual([
      "schemaVersion",
      "generatedAt",
      "cluster",
      "status",
      "nodes",
      "findings",
    ]);
    expect(json).toMatchObject({ schemaVersion: 1, generatedAt: "2026-12-05T00:41:02.000Z", cluster: "lab" });
    expect(json.status).toBe("critical");
    expect(json.findings.map((f: Record<string, unknown>) => Object.keys(f))).toEqual([
      ["kind", "runbook", "severity", "summary", "params", "command", "node"],
      ["kind", "runbook", "severity", "summary", "params", "command"],
      ["kind", "runbook", "severity", "summary", "params", "command", "node"],
    ]);
    expect(json.findings[0]).toEqual({
      kind: "problem",
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

      - Cluster: \`lab\`
      - Generated: 2026-12-05T00:41:02.000Z
      - Status: critical (critical findings)
      - Nodes answering: pve1, pve2, pve3
      - Schema version: 1

      3 findings: 1 critical, 1 warning, 1 info.

      | Severity | Node | Kind | Finding | Next step |
      |---|---|---|---|---|
      | critical | pve2 | \`hung-nfs\` | nfs storage 'nfs-backup' hangs on pve2; running guests affected: CT 101 | \`pvefix run hung-nfs --storage nfs-backup --node pve2\` |
      | warning |  | \`stuck-lock\` | CT 100 on pve2 has a stale lock 'backup': no running task holds it | \`pvefix run stuck-lock --vmid 100\` |
      | info | pve1 | \`stuck-lock\` | CT 105 on pve1 is locked 'backup' and not stale: a running vzdump holds it | \`pvefix plan stuck-lock --vmid 105\` |"
    `);
  });

  it("says no problems were found when there are no findings", () => {
    expect(renderFindings([], "text", plain)).toBe("✔ no problems found");
    expect(renderFindings([], "md", plain)).toContain("No problems found.");
    expect(JSON.parse(renderFindings([], "json", plain))).toMatchObject({ status: "clear", findings: [] });
  });

  const down = diagnosis([findings[2]!], {
    nodes: { up: ["pve1", "pve2"], down: ["pve3"] },
    unreachable: [
      {
        node: "pve3",
        since: "2026-12-05T00:41:01.500Z",
        code: "connection-refused",
        reason: "connection refused",
        detail: "Connection refused by pve3 (10.0.0.3:22): is sshd running there and listening on port 22?",
        severity: "critical",
        hides: "its guests CT 101, VM 300",
      },
    ],
    failures: [{ detector: "zerotier-blacklist", error: "unexpected output of `ip -d link`" }],
  });

  it("gives unreachable nodes and failed detectors kinds of their own in JSON", () => {
    const json = JSON.parse(renderDiagnosis(down, "json", { color: false, target: "--lab" }));
    expect(json.status).toBe("incomplete");
    expect(json.nodes).toEqual({ up: ["pve1", "pve2"], down: ["pve3"] });
    expect(json.findings.map((f: { kind: string }) => f.kind)).toEqual([
      "node-unreachable",
      "problem",
      "detector-failed",
    ]);
    expect(json.findings[0]).toEqual({
      kind: "node-unreachable",
      severity: "critical",
      node: "pve3",
      summary:
        "pve3 unreachable since 00:41:01 UTC: connection refused; not checked: its guests CT 101, VM 300",
      since: "2026-12-05T00:41:01.500Z",
      code: "connection-refused",
      reason: "connection refused",
      detail: "Connection refused by pve3 (10.0.0.3:22): is sshd running there and listening on port 22?",
      hides: "its guests CT 101, VM 300",
    });
    expect(json.findings[2]).toEqual({
      kind: "detector-failed",
      severity: "warning",
      detector: "zerotier-blacklist",
      summary: "the zerotier-blacklist detector could not finish: unexpected output of `ip -d link`",
      error: "unexpected output of `ip -d link`",
      command: "pvefix diagnose --verbose --lab",
    });
    expect(json.findings[1]).not.toHaveProperty("detector");
  });

  it("names the node that did not answer and why in text, and says the sweep is incomplete", () => {
    const text = renderDiagnosis(down, "text", plain);
    expect(text).toContain(
      "✖ [pve3] pve3 unreachable since 00:41:01 UTC: connection refused; not checked: its guests CT 101, VM 300\n" +
        "    why: Connection refused by pve3",
    );
    expect(text).toContain("! the zerotier-blacklist detector could not finish");
    expect(
      text.endsWith(
        "Not everything could be checked: pve3 did not answer; detector zerotier-blacklist could not finish.",
      ),
    ).toBe(true);
    const md = renderDiagnosis(down, "md", plain);
    expect(md).toContain("- Status: incomplete (not everything could be checked)");
    expect(md).toContain("- Nodes answering: pve1, pve2; not answering: pve3");
    expect(md).toContain("| critical | pve3 | unreachable | pve3 unreachable since 00:41:01 UTC");
  });

  it("does not repeat the reason as its own why line", () => {
    const same = diagnosis([], {
      unreachable: [
        {
          node: "pve3",
          since: "2026-12-05T00:41:01.500Z",
          code: "connect-failed",
          reason: "Cannot connect to lab node pve3: the node is down",
          detail: "Cannot connect to lab node pve3: the node is down",
          severity: "warning",
          hides: null,
        },
      ],
    });
    expect(renderDiagnosis(same, "text", plain)).toBe(
      "1 finding: 1 warning\n\nwarning (1)\n  ! [pve3] pve3 unreachable since 00:41:01 UTC: Cannot connect to lab node pve3: the node is down\n\nNot everything could be checked: pve3 did not answer.",
    );
  });
});

describe("renderDiagnosis of a diagnosis read from a report (diagnose --from)", () => {
  const fromReport = diagnosis([findings[0]!], {
    nodes: { up: ["pve1"], down: ["pve2"] },
    unreachable: [
      {
        node: "pve2",
        since: "2026-12-05T00:41:01.000Z",
        code: "not-in-report",
        reason: "not in report",
        detail: "pve2 is not in the report: a pvereport is one node's view",
        severity: "info",
        hides: null,
      },
    ],
    failures: [{ detector: "hung-nfs", error: "not in report: cat /proc/mounts" }],
    report: {
      origins: [{ node: "pve1", time: "Wed, 11 Mar 2026 14:02:09 +0000", files: ["r.txt"] }],
      notAnswered: [{ node: "pve1", command: "cat /proc/mounts" }],
    },
  });

  it("says whose view and when, names absent nodes as not in the report, and lists what was not answered (md)", () => {
    const md = renderDiagnosis(fromReport, "md", plain);
    expect(md).toContain("- From a report, not the cluster: pve1 at Wed, 11 Mar 2026 14:02:09 +0000");
    expect(md).toContain("Not in report (1 commands the checks asked):\n\n- pve1: `cat /proc/mounts`");
    expect(md).toContain("pve2 is not in the report: not checked");
    expect(md).not.toContain("pve2 unreachable");
  });

  it("carries the report's node and time on every JSON finding, and the report itself", () => {
    const json = JSON.parse(renderDiagnosis(fromReport, "json", plain));
    expect(json.report).toEqual(fromReport.report);
    for (const f of json.findings)
      expect(f.from).toEqual({ node: "pve1", time: "Wed, 11 Mar 2026 14:02:09 +0000" });
    expect(json.status).toBe("incomplete");
  });

  it("keeps the report's wording out of a diagnosis of the cluster", () => {
    const json = JSON.parse(renderDiagnosis(diagnosis([findings[0]!]), "json", plain));
    expect(json.report).toBeUndefined();
    expect(json.findings[0].from).toBeUndefined();
  });
});
