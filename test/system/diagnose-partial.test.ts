/**
 * `pvefix diagnose` over real OpenSSH when part of the cluster is gone (issue 9.2, 9.7, 16.7), on
 * the loopback PVE bed: pve3's sshd is killed, and the stale lock of CT 100 on pve1 and the hung
 * nfs-images on pve2 are still reported, pve3 is named once with its reason, and the exit code
 * says the sweep is incomplete. Then the NFS server of nfs-images stops answering: that is a
 * finding of its own, and the run refuses before it touches the mount.
 * Needs root, sshd and unshare: run scripts/install-system-deps.sh first.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PveBed, startPveBed } from "./pve-bed/pve-bed.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

let bed: PveBed;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-bed-partial-"));
  bed = await startPveBed(join(work, "bed"));
});

afterAll(async () => {
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Item {
  kind: string;
  severity: string;
  summary: string;
  runbook?: string;
  node?: string;
  code?: string;
  params?: Record<string, unknown>;
  command?: string;
}

async function pvefix(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const { SSH_AUTH_SOCK: _agent, ...env } = process.env;
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, "bin", "pvefix.js"), "-i", bed.inventoryPath, "--state-dir", join(work, "state"), ...args],
      { env: { ...env, NO_COLOR: "1", HOME: join(work, "home") }, cwd: REPO, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? -1) : 0;
        resolve({
          code: typeof code === "number" ? code : -1,
          stdout,
          stderr,
          ms: performance.now() - started,
        });
      },
    );
  });
}

describe("diagnose over SSH with pve3's sshd killed", () => {
  it("still reports pve1's stale lock and pve2's hung mount, names pve3, and exits 12", async () => {
    const healthy = await pvefix(["diagnose", "-o", "json"]);
    // Every node answers: the bed's problems are findings (VM 210 runs on the hung nfs-images: critical).
    expect(healthy.code).toBe(11);

    await bed.stopNode("pve3");
    const result = await pvefix(["diagnose", "-o", "json"]);
    expect(result.code).toBe(12);
    // A refused connection is named at once, not after minutes (generous bound for a loaded machine).
    expect(result.ms).toBeLessThan(60_000);
    const report = JSON.parse(result.stdout) as { status: string; nodes: unknown; findings: Item[] };
    expect(report.status).toBe("incomplete");
    expect(report.nodes).toEqual({ up: ["pve1", "pve2"], down: ["pve3"] });
    const down = report.findings.filter((f) => f.kind === "node-unreachable");
    expect(down.map((f) => [f.node, f.code])).toEqual([["pve3", "connection-refused"]]);
    expect(down[0]?.summary).toMatch(/^pve3 unreachable since \d\d:\d\d:\d\d UTC: connection refused/);
    const problems = report.findings.filter((f) => f.kind === "problem");
    expect(problems.find((f) => f.runbook === "stuck-lock" && f.params?.vmid === 100)?.summary).toBe(
      "CT 100 on pve1 has a stale lock 'backup': no running task holds it",
    );
    expect(
      problems.find((f) => f.runbook === "hung-nfs" && f.params?.storage === "nfs-images"),
    ).toMatchObject({
      severity: "critical",
      node: "pve2",
    });
    expect(report.findings.filter((f) => f.kind === "detector-failed")).toEqual([]);
  });

  it("plans hung-nfs for pve2 although pve3, which it does not need, is down (issue 9.5)", async () => {
    // Guest configs are read on a node that answered, not on each guest's owner.
    const result = await pvefix([
      "plan",
      "hung-nfs",
      "--storage",
      "nfs-images",
      "--node",
      "pve2",
      "-o",
      "json",
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      kind: string;
      plan: { steps: Array<{ id: string; node: string }> };
    };
    expect(doc.kind).toBe("plan");
    expect(doc.plan.steps.map((s) => [s.id, s.node])).toEqual([["remount-nfs-images-pve2", "pve2"]]);
  });

  it("names the dead NFS server of nfs-images and refuses to remount it, leaving the mount alone", async () => {
    await bed.stopServer(bed.servers.images);
    const before = bed.mountInfo("pve2", "/mnt/pve/nfs-images");
    const result = await pvefix(["diagnose", "-o", "json"]);
    expect(result.code).toBe(12);
    const report = JSON.parse(result.stdout) as { findings: Item[] };
    const images = report.findings.find((f) => f.params?.storage === "nfs-images");
    expect(images?.summary).toContain(
      `hangs on pve2 because its server ${bed.servers.images} does not answer on port 2049 (connection refused)`,
    );
    expect(images?.command).not.toContain("--unattended");

    const run = await pvefix([
      "run",
      "hung-nfs",
      "--storage",
      "nfs-images",
      "--node",
      "pve2",
      "--unattended",
    ]);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(
      `The server ${bed.servers.images} of nfs storage 'nfs-images' does not answer`,
    );
    expect(bed.mountInfo("pve2", "/mnt/pve/nfs-images")).toBe(before);
  });
});
