/**
 * Diagnosis of a ticket without the cluster (issue 11.4): `pvefix lab report --node pve1` prints
 * the pvereport Report.pm would print on pve1; `pvefix diagnose --from` on it finds what
 * `diagnose --lab` finds on pve1 where the report holds the facts (a guest's lock, with whether
 * it is stale not in the report when its task list is not), names every check it could not answer
 * ("not in report"), and never makes a finding up. Captured outputs of exactly those
 * commands, in a folder, complete it: then the two diagnoses agree on pve1.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliSession, json } from "./pvefix.js";

const cli = cliSession();

interface Item {
  kind: "problem" | "node-unreachable" | "detector-failed";
  severity: string;
  summary: string;
  runbook?: string;
  detector?: string;
  error?: string;
  node?: string;
  params?: Record<string, unknown>;
  code?: string;
  from?: { node: string; time: string | null };
}
interface Diagnosis {
  status: string;
  findings: Item[];
  report?: {
    origins: Array<{ node: string; time: string | null; files: string[] }>;
    notAnswered: Array<{ node: string; command: string }>;
  };
}

const problemsOn = (d: Diagnosis, node: string) =>
  d.findings
    .filter((f) => f.kind === "problem" && f.node === node)
    .map((f) => ({
      runbook: f.runbook,
      severity: f.severity,
      summary: f.summary,
      params: f.params,
      node: f.node,
    }))
    .sort((a, b) => a.summary.localeCompare(b.summary));

let reportFile: string;
let labDiagnosis: Diagnosis;
/** Captured outputs that complete the report (written by the folder test, used by the plan test). */
let captureFolder: string;

beforeAll(async () => {
  await cli.pvefix(["lab", "reset", "--quiet"]);
  const lab = await cli.pvefix(["diagnose", "--lab", "-o", "json"]);
  labDiagnosis = json<Diagnosis>(lab);
  const report = await cli.pvefix(["lab", "report", "--node", "pve1"]);
  expect(report.code).toBe(0);
  reportFile = path.join(cli.stateDir, "pvereport-pve1.txt");
  fs.writeFileSync(reportFile, report.stdout);
}, 120_000);

describe("pvefix diagnose --from a pvereport written from the lab", () => {
  it("prints the report in Report.pm's layout, with the node's guest configs", () => {
    const text = fs.readFileSync(reportFile, "utf8");
    expect(text).toMatch(
      /^\n==== general system info ====\n\n# hostname\npve1\n\n# date -R\n\w{3}, \d\d \w{3} \d{4} /,
    );
    expect(text).toContain("# output '/etc/pve/lxc/\\d+\\.conf' file(s)\n\n# cat /etc/pve/lxc/100.conf\n");
    expect(text).toContain("\n# cat /etc/pve/corosync.conf 2>/dev/null\n");
    // Only pve1's guests: /etc/pve/qemu-server is the node's own directory.
    expect(text).not.toContain("/etc/pve/lxc/101.conf");
  });

  it("finds only what the lab finds on pve1, and names every check the report could not answer", async () => {
    const result = await cli.pvefix(["diagnose", "--from", reportFile, "-o", "json"]);
    expect(result.code).toBe(12);
    const d = json<Diagnosis>(result);
    expect(d.status).toBe("incomplete");
    const time = /# date -R\n(.+)\n/.exec(fs.readFileSync(reportFile, "utf8"))?.[1];
    expect(d.report?.origins).toEqual([{ node: "pve1", time, files: [reportFile] }]);
    // One node's view: the others are named as not in the report, as info, never as unreachable.
    const absent = d.findings.filter((f) => f.kind === "node-unreachable");
    expect(absent.map((f) => [f.node, f.code, f.severity])).toEqual([
      ["pve2", "not-in-report", "info"],
      ["pve3", "not-in-report", "info"],
    ]);
    // The report holds CT 100's lock (pct list, its config) but not pve1's task list: the lock is
    // found, as info, with its staleness named as not in the report; the next step is a plan
    // against the cluster, never a run.
    const locks = problemsOn(d, "pve1").filter((f) => f.runbook === "stuck-lock");
    const unknownLock = (vmid: number, lock: string) => ({
      runbook: "stuck-lock",
      severity: "info",
      summary: `${vmid === 100 ? "CT" : "VM"} ${vmid} on pve1 is locked '${lock}'; whether a running task holds it, so whether it is stale, is not in the report (not in report: cat /var/log/pve/tasks/active)`,
      params: { vmid },
      node: "pve1",
    });
    expect(locks).toEqual([unknownLock(100, "backup"), unknownLock(200, "migrate")]);
    const lockCommands = d.findings
      .filter((f) => f.kind === "problem" && f.runbook === "stuck-lock")
      .map((f) => (f as Item & { command?: string }).command);
    expect(lockCommands).toEqual(["pvefix plan stuck-lock --vmid 100", "pvefix plan stuck-lock --vmid 200"]);
    // Nothing guessed: every other finding from the report is one the lab has too.
    const lab = problemsOn(labDiagnosis, "pve1");
    for (const found of problemsOn(d, "pve1").filter((f) => f.runbook !== "stuck-lock"))
      expect(lab).toContainEqual(found);
    // Every lab finding on pve1 is found (a lock: with its staleness unknown), or its detector
    // says which command was not in the report.
    const failed = d.findings.filter((f) => f.kind === "detector-failed");
    expect(failed.map((f) => f.detector)).not.toContain("stuck-lock");
    for (const missing of lab.filter((l) => !problemsOn(d, "pve1").some((f) => f.summary === l.summary))) {
      if (missing.runbook === "stuck-lock") {
        expect(locks.map((l) => l.params)).toContainEqual(missing.params);
        continue;
      }
      const failure = failed.find((f) => f.detector === missing.runbook);
      expect(failure?.error).toMatch(/^not in report: /);
    }
    expect(lab.filter((l) => l.runbook === "stuck-lock").length).toBeGreaterThan(0);
    for (const f of failed) expect(f.error).toMatch(/^not in report: \S/);
    // The checks it could not answer still name pve1's task list.
    expect(d.report?.notAnswered).toContainEqual({ node: "pve1", command: "cat /var/log/pve/tasks/active" });
    for (const f of d.findings.filter((x) => x.kind === "problem"))
      expect(f.from).toEqual({ node: "pve1", time });
  }, 60_000);

  it("with the missing commands captured in a folder, finds exactly what diagnose --lab finds on pve1", async () => {
    const folder = path.join(cli.stateDir, "captured");
    fs.mkdirSync(folder);
    let d: Diagnosis | undefined;
    let captured = 0;
    // Each round captures what the last one could not answer (an answer can lead a detector further).
    for (let round = 0; round < 8; round++) {
      const from = captured > 0 ? [reportFile, folder] : [reportFile];
      const result = await cli.pvefix(["diagnose", "--from", ...from, "-o", "json"]);
      d = json<Diagnosis>(result);
      const missing = (d.report?.notAnswered ?? []).filter((n) => n.node === "pve1");
      if (missing.length === 0) break;
      for (const { command } of missing) {
        const answer = await cli.labExec("pve1", command);
        const body = `# ${command}\n# exit: ${answer.code}\n${answer.stdout}# stderr:\n${answer.stderr}`;
        fs.writeFileSync(path.join(folder, `${String(captured++).padStart(3, "0")}.txt`), body);
      }
    }
    expect(d?.report?.notAnswered.filter((n) => n.node === "pve1")).toEqual([]);
    expect(d?.findings.filter((f) => f.kind === "detector-failed")).toEqual([]);
    expect(problemsOn(d as Diagnosis, "pve1")).toEqual(problemsOn(labDiagnosis, "pve1"));
    expect(problemsOn(labDiagnosis, "pve1").length).toBeGreaterThan(0);
    captureFolder = folder;
  }, 120_000);

  it("plans from a report only when its facts are all there, marked for review; apply refuses it (exit 3)", async () => {
    const partial = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--from", reportFile]);
    expect(partial.code).toBe(3);
    // The guest is found (pct list) but what proves its lock stale is not in the report.
    expect(partial.stdout + partial.stderr).toMatch(
      /not in report: cat \/(proc\/mounts|var\/log\/pve\/tasks\/active)/,
    );

    const saved = path.join(cli.stateDir, "from-report-plan.json");
    const from = ["--from", reportFile, captureFolder];
    const planned = await cli.pvefix([
      "plan",
      "stuck-lock",
      "--vmid",
      "100",
      ...from,
      "-o",
      "json",
      "--save",
      saved,
    ]);
    expect(planned.code).toBe(0);
    const doc = json<{
      kind: string;
      note: string;
      plan: { fromReport: { origins: Array<{ node: string }> } };
    }>(planned);
    expect(doc.kind).toBe("plan");
    expect(doc.note).toBe("from a report: re-plan against the cluster before applying");
    expect(doc.plan.fromReport.origins.map((o) => o.node)).toEqual(["pve1"]);
    expect(planned.stderr).toContain("`pvefix apply` refuses it");
    for (const format of ["text", "md"]) {
      const shown = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", ...from, "-o", format]);
      expect(shown.stdout).toContain("rom a report: re-plan against the cluster before applying (pve1 at ");
    }

    const applied = await cli.pvefix(["apply", saved, "--lab", "--unattended"]);
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain(
      "was planned from a report: re-plan against the cluster before applying",
    );
    // Refused before anything ran: the lock the plan would remove is still there.
    const config = await cli.labExec("pve1", "cat", "/etc/pve/lxc/100.conf");
    expect(config.stdout).toMatch(/^lock: backup$/m);
  }, 120_000);

  it("says in text which checks the report could not answer", async () => {
    const result = await cli.pvefix(["diagnose", "--from", reportFile]);
    expect(result.code).toBe(12);
    expect(result.stdout).toContain("From a report, not the cluster: pve1 at ");
    expect(result.stdout).toContain("pve2 is not in the report");
    expect(result.stdout).toMatch(/Not in report \(\d+ commands the checks asked\):\n {2}\[pve1\] /);
  }, 60_000);

  it("refuses --from with --lab, a missing file, and a captured file without a command line (exit 2)", async () => {
    const both = await cli.pvefix(["diagnose", "--from", reportFile, "--lab"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--from excludes --lab");
    const missing = await cli.pvefix(["diagnose", "--from", path.join(cli.stateDir, "nope.txt")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.txt");
    const folder = path.join(cli.stateDir, "bad");
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "a.txt"), "pvecm status output without its command\n");
    const bad = await cli.pvefix(["diagnose", "--from", reportFile, folder]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("does not start with '# <command>'");
  }, 60_000);
});
