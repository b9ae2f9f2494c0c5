/**
 * Diagnose and plans when part of the cluster is gone (issue 9.2, 9.5, 9.7, 16.7): a node that
 * does not answer is named once, with why, and hides nothing the other nodes show; the exit code
 * says the sweep is incomplete. A dead NFS server is a finding of its own, never unattended, and
 * neither a run nor an undo mounts its export again.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { type LabState, updateLab } from "../../../src/lab/index.js";
import { cliSession, json } from "./pvefix.js";

const cli = cliSession();

interface Item {
  kind: "problem" | "node-unreachable" | "detector-failed";
  severity: string;
  summary: string;
  runbook?: string;
  node?: string;
  params?: Record<string, unknown>;
  command?: string;
  code?: string;
  reason?: string;
  since?: string;
  hides?: string | null;
}
interface Report {
  schemaVersion: number;
  generatedAt: string;
  cluster: string;
  status: string;
  nodes: { up: string[]; down: string[] };
  findings: Item[];
}

async function setDown(...names: string[]): Promise<void> {
  await updateLab(cli.stateDir, (state: LabState) => {
    for (const node of state.nodes) if (names.includes(node.name)) node.up = false;
  });
}

async function reset(scenario: string): Promise<void> {
  expect((await cli.pvefix(["lab", "reset", "--scenario", scenario, "--quiet"])).code).toBe(0);
}

describe("diagnose with nodes down (default scenario)", () => {
  beforeEach(() => reset("default"));

  it("reports pve1's stale lock and pve2's hung mount with pve3 down, names pve3, and exits 12", async () => {
    await setDown("pve3");
    const result = await cli.pvefix(["diagnose", "--lab", "-o", "json"]);
    expect(result.code).toBe(12);
    const report = json<Report>(result);
    expect(report).toMatchObject({ schemaVersion: 1, cluster: "lab", status: "incomplete" });
    expect(Date.parse(report.generatedAt)).not.toBeNaN();
    expect(report.nodes).toEqual({ up: ["pve1", "pve2"], down: ["pve3"] });
    const unreachable = report.findings.filter((f) => f.kind === "node-unreachable");
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatchObject({
      node: "pve3",
      code: "connect-failed",
      // VM 300 lives on pve3: not seeing it is critical.
      severity: "critical",
      hides: "its guests VM 300",
    });
    expect(unreachable[0]?.summary).toMatch(
      /^pve3 unreachable since \d\d:\d\d:\d\d UTC: Cannot connect to lab node pve3: the node is down; not checked: its guests VM 300$/,
    );
    const problems = report.findings.filter((f) => f.kind === "problem");
    expect(problems.map((f) => [f.runbook, f.params])).toEqual(
      expect.arrayContaining([
        ["hung-nfs", { storage: "nfs-backup", node: "pve2" }],
        ["stuck-lock", { vmid: 100 }],
      ]),
    );
    // No detector gave up because of pve3: its problems are simply not seen.
    expect(report.findings.filter((f) => f.kind === "detector-failed")).toEqual([]);
    expect(report.findings.filter((f) => f.summary.includes("could not finish"))).toEqual([]);
  });

  it("names both nodes when two are down and still reports pve1's lock", async () => {
    await setDown("pve2", "pve3");
    const result = await cli.pvefix(["diagnose", "--lab", "-o", "json"]);
    expect(result.code).toBe(12);
    const report = json<Report>(result);
    expect(report.findings.filter((f) => f.kind === "node-unreachable").map((f) => f.node)).toEqual([
      "pve2",
      "pve3",
    ]);
    const lock = report.findings.find((f) => f.runbook === "stuck-lock" && f.params?.vmid === 100);
    // pve1 alone has no quorum: the lock is stale, it just cannot be removed now.
    expect(lock?.summary).toMatch(
      /^CT 100 on pve1 has a stale lock 'backup' \(no running task holds it\) but it cannot be removed now: pve1 has no quorum/,
    );
    expect(lock?.summary).not.toContain("not stale");
  });

  it("prints the unreachable node and the incomplete sweep in text, with the same exit code", async () => {
    await setDown("pve3");
    const result = await cli.pvefix(["diagnose", "--lab"]);
    expect(result.code).toBe(12);
    expect(result.stdout).toMatch(/✖ \[pve3\] pve3 unreachable since \d\d:\d\d:\d\d UTC: /);
    expect(result.stdout).toContain("Not everything could be checked: pve3 did not answer.");
    const md = await cli.pvefix(["diagnose", "--lab", "-o", "md"]);
    expect(md.code).toBe(12);
    expect(md.stdout).toMatch(/^# Diagnosis\n\n- Cluster: `lab`\n- Generated: \d{4}-\d\d-\d\dT/);
    expect(md.stdout).toContain("- Nodes answering: pve1, pve2; not answering: pve3");
  });

  it("plans hung-nfs for pve2 although pve3, which is not involved, is down", async () => {
    await setDown("pve3");
    const result = await cli.pvefix([
      "plan",
      "hung-nfs",
      "--storage",
      "nfs-backup",
      "--node",
      "pve2",
      "--lab",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Lazy-unmount /mnt/pve/nfs-backup on pve2");
    expect(result.stdout).toContain("CT 105");
  });

  it("refuses hung-nfs for pve3 when pve3 is the node that is down, and says so", async () => {
    await setDown("pve3");
    const result = await cli.pvefix(["plan", "hung-nfs", "--storage", "nfs-iso", "--node", "pve3", "--lab"]);
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).toMatch(/pve3 is unreachable/);
  });
});

describe("a hung NFS mount whose server is dead (hung-nfs scenario, nfs-dead)", () => {
  beforeEach(() => reset("hung-nfs"));

  it("is a finding of its own that names the server and never suggests --unattended", async () => {
    const result = await cli.pvefix(["diagnose", "--lab", "-o", "json"]);
    const report = json<Report>(result);
    const dead = report.findings.find((f) => f.runbook === "hung-nfs" && f.params?.storage === "nfs-dead");
    expect(dead?.summary).toContain(
      "nfs storage 'nfs-dead' hangs on pve3 because its server 10.10.20.99 does not answer on port 2049 (no answer within 3 s)",
    );
    expect(dead?.command).toBe("pvefix plan hung-nfs --storage nfs-dead --node pve3 --lab");
    // The other hung storages still get their remount.
    const iso = report.findings.find((f) => f.params?.storage === "nfs-iso");
    expect(iso?.command).toBe("pvefix run hung-nfs --storage nfs-iso --node pve3 --unattended --lab");
  });

  it("refuses the run (server-down) before touching the mount, even unattended", async () => {
    const mounts = () => cli.labExec("pve3", "cat", "/proc/mounts");
    const before = (await mounts()).stdout;
    const started = Date.now();
    const result = await cli.pvefix([
      "run",
      "hung-nfs",
      "--storage",
      "nfs-dead",
      "--node",
      "pve3",
      "--lab",
      "--unattended",
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(
      "The server 10.10.20.99 of nfs storage 'nfs-dead' does not answer on port 2049",
    );
    expect(result.stdout).toContain("umount -nlf /mnt/pve/nfs-dead");
    expect((await mounts()).stdout).toBe(before);
    // No 30 s wait for a mount that cannot come back (generous margin for a loaded machine).
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("never mounts a dead export again on undo", async () => {
    const run = json<{ runId: string; outcome: string }>(
      await cli.pvefix(["run", "hung-nfs", "--storage", "nfs-iso", "--lab", "--unattended", "-o", "json"]),
    );
    expect(run.outcome).toBe("done");
    // Afterwards the server dies and someone detaches the fresh mount by hand.
    await updateLab(cli.stateDir, (state: LabState) => {
      state.nfsServers["10.10.20.51"] = "down";
    });
    expect((await cli.labExec("pve3", "umount", "-nlf", "/mnt/pve/nfs-iso")).code).toBe(0);
    const undo = await cli.pvefix(["undo", run.runId, "--lab"]);
    expect(undo.code).toBe(0);
    const mounts = (await cli.labExec("pve3", "cat", "/proc/mounts")).stdout;
    expect(mounts).not.toContain("/mnt/pve/nfs-iso");
    // The dead server is never asked to mount: pvesm says it is not online, nothing hangs.
    expect((await cli.labExec("pve3", "pvesm", "status", "--storage", "nfs-iso")).stderr).toContain(
      "storage 'nfs-iso' is not online",
    );
  });
});
