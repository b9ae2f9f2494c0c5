/**
 * stuck-lock and hung-nfs end to end over real OpenSSH (host keys verified), against the loopback
 * PVE test bed: three sshd, each in its own mount namespace with private /run, /var/log/pve,
 * /var/lib/pvefix and tmpfs "NFS" mounts, a shared /etc/pve, and Proxmox stand-ins on PATH.
 * Needs root, sshd and unshare: run scripts/install-system-deps.sh first.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import hungNfs from "../../runbooks/hung-nfs.js";
import stuckLock from "../../runbooks/stuck-lock.js";
import type { Gate } from "../../src/engine/apply.js";
import { exitCodeFor, planOnly, runRunbook, undoRun } from "../../src/engine/session.js";
import { SshTransport } from "../../src/transport/ssh/index.js";
import { type PveBed, startPveBed } from "./pve-bed/pve-bed.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CT100 = "/etc/pve/nodes/pve1/lxc/100.conf";
const VM200 = "/etc/pve/nodes/pve1/qemu-server/200.conf";

let bed: PveBed;
let work: string;
let transport: SshTransport;

const approve: Gate = async (request) => ({
  approved: true,
  answer: request.confirm === "node-name" ? request.step.node : "yes",
});

/** What --unattended answers: nothing that needs a human is approved. */
const noHuman: Gate = async (request) => ({
  approved: false,
  answer: `unattended: step ${request.step.id} is ${request.step.risk}`,
});

function target() {
  return {
    transport,
    nodes: bed.inventory.nodes.map((n) => n.name),
    cluster: bed.inventory.cluster,
    stateDir: join(work, "state"),
  };
}

function nodePid(name: string): number {
  const node = bed.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no ${name}`);
  return node.pid;
}

/** A path as the node sees it, through the node's own mount namespace. */
function inNode(name: string, path: string): string {
  return `/proc/${nodePid(name)}/root${path}`;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-bed-"));
  bed = await startPveBed(join(work, "bed"));
  transport = new SshTransport({ inventory: bed.inventory, sshConfigPath: null, agentSocket: null });
});

afterAll(async () => {
  await transport?.close();
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("the test bed itself", () => {
  it("gives every node its own /run and mounts but one shared /etc/pve", async () => {
    const [one, three] = await Promise.all([
      transport.exec("pve1", "cat /run/pvefix-bed/quorum; ls /etc/pve/nodes; grep -c /mnt/pve/ /proc/mounts"),
      transport.exec("pve3", "cat /run/pvefix-bed/quorum; ls /etc/pve/nodes; grep -c /mnt/pve/ /proc/mounts"),
    ]);
    expect(one.stdout).toContain("nodeid=1");
    expect(three.stdout).toContain("nodeid=3");
    expect(one.stdout.split("\n").slice(4)).toEqual(three.stdout.split("\n").slice(4));
    expect(one.stdout).toMatch(/pve1\npve2\npve3\n2\n$/);
    // The host sees none of the nodes' tmpfs mounts.
    expect(readFileSync("/proc/self/mounts", "utf8")).not.toContain("/mnt/pve/nfs-iso");
  });
});

describe("stuck-lock over SSH", () => {
  it("removes CT 100's stale backup lock with `pct unlock`, and the undo puts back the exact bytes", async () => {
    const before = readFileSync(bed.hostPath("pve1", CT100));
    const result = await runRunbook({
      ...target(),
      runbook: stuckLock,
      rawParams: { vmid: 100 },
      mode: "unattended",
      gate: noHuman,
    });
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => [s.id, s.node, s.status])).toEqual([["unlock-100", "pve1", "done"]]);
    const after = readFileSync(bed.hostPath("pve1", CT100), "utf8");
    expect(after).toBe(before.toString().replace("lock: backup\n", ""));
    // The snapshot section keeps its own keys; only the main section lost `lock:`.
    expect(after).toContain("[before-upgrade]\narch: amd64");
    // pvefix's node-side copy went to pve1's private /var/lib/pvefix, and its node lock is gone.
    const copy = `/var/lib/pvefix/backups/${result.runId}/unlock-100${CT100}`;
    expect(readFileSync(bed.hostPath("pve1", copy))).toEqual(before);
    expect(existsSync(bed.hostPath("pve2", copy))).toBe(false);
    expect(existsSync(bed.hostPath("pve1", "/run/pvefix.lock"))).toBe(false);

    const undone = await undoRun({
      ...target(),
      runId: result.runId!,
      runbookFor: () => stuckLock,
      mode: "interactive",
      gate: approve,
    });
    expect(undone.outcome).toBe("undone");
    expect(readFileSync(bed.hostPath("pve1", CT100))).toEqual(before);
  });

  it("refuses to unlock VM 200 while its qmigrate task runs, then plans the unlock once the process is gone", async () => {
    const before = readFileSync(bed.hostPath("pve1", VM200), "utf8");
    const held = await planOnly({ ...target(), runbook: stuckLock, rawParams: { vmid: 200 } });
    expect(held.kind).toBe("refusal");
    if (held.kind !== "refusal") return;
    expect(held.refusal.code).toBe("task-holds-lock");
    const pidHex = bed.taskPid.toString(16).toUpperCase().padStart(8, "0");
    expect(held.refusal.message).toContain(`UPID:pve1:${pidHex}:`);
    expect(held.refusal.message).toContain(":qmigrate:200:root@pam:");

    const run = await runRunbook({
      ...target(),
      runbook: stuckLock,
      rawParams: { vmid: 200 },
      mode: "unattended",
      gate: noHuman,
    });
    expect(run.outcome).toBe("refused");
    expect(exitCodeFor(run.outcome)).toBe(3);
    expect(readFileSync(bed.hostPath("pve1", VM200), "utf8")).toBe(before);

    // The same "running" line in tasks/active, but its pid is gone: now the lock is stale.
    process.kill(bed.taskPid, "SIGKILL");
    await expect.poll(() => readProcState(bed.taskPid), { timeout: 5_000 }).toMatch(/^(gone|Z)$/);
    const stale = await planOnly({ ...target(), runbook: stuckLock, rawParams: { vmid: 200 } });
    expect(stale.kind).toBe("plan");
    if (stale.kind === "plan")
      expect(stale.plan.steps[0]?.actions[0]).toMatchObject({ command: "qm unlock 200" });
  });
});

describe("hung-nfs over SSH", () => {
  it("lazy-unmounts the hung ISO store on pve3 unattended and PVE mounts a fresh one, on pve3 only", async () => {
    const others = { pve1: bed.mounts("pve1"), pve2: bed.mounts("pve2") };
    // A file in the hung tmpfs tells the old mount from the fresh one (mount ids are reused).
    writeFileSync(inNode("pve3", "/mnt/pve/nfs-iso/written-before"), "old mount\n");

    const result = await runRunbook({
      ...target(),
      runbook: hungNfs,
      rawParams: { storage: "nfs-iso" },
      mode: "unattended",
      gate: noHuman,
    });
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([["remount-nfs-iso-pve3", "done"]]);
    expect(bed.mountInfo("pve3", "/mnt/pve/nfs-iso")).toContain(` ${bed.servers.iso}:/export/iso `);
    expect(existsSync(inNode("pve3", "/mnt/pve/nfs-iso/written-before"))).toBe(false);
    expect(existsSync(bed.hostPath("pve3", "/run/pvefix-bed/hung/nfs-iso"))).toBe(false);
    expect(bed.mounts("pve1")).toBe(others.pve1);
    expect(bed.mounts("pve2")).toBe(others.pve2);
  });

  it("stops with needs-human (exit 4) for the store the running VM 210 uses, and leaves the mount alone", async () => {
    const oldMount = bed.mountInfo("pve2", "/mnt/pve/nfs-images");
    writeFileSync(inNode("pve2", "/mnt/pve/nfs-images/vm-210-disk-1.qcow2"), "still here\n");
    const result = await runRunbook({
      ...target(),
      runbook: hungNfs,
      rawParams: { storage: "nfs-images" },
      mode: "unattended",
      gate: noHuman,
    });
    expect(result.outcome).toBe("needs-human");
    expect(exitCodeFor(result.outcome)).toBe(4);
    expect(result.plan?.steps.map((s) => [s.id, s.risk])).toEqual([["remount-nfs-images-pve2", "guarded"]]);
    expect(result.plan?.warnings.join("\n")).toContain("VM 210 runs on pve2");
    expect(bed.mountInfo("pve2", "/mnt/pve/nfs-images")).toBe(oldMount);
    expect(readFileSync(inNode("pve2", "/mnt/pve/nfs-images/vm-210-disk-1.qcow2"), "utf8")).toBe(
      "still here\n",
    );
    expect(existsSync(bed.hostPath("pve2", "/run/pvefix-bed/hung/nfs-images"))).toBe(true);
  });

  it("does the same through the CLI: `pvefix -i inventory run hung-nfs --unattended` exits 0", async () => {
    bed.hang("pve1", "nfs-iso");
    writeFileSync(inNode("pve1", "/mnt/pve/nfs-iso/written-before"), "old mount\n");
    const pve3Before = bed.mounts("pve3");
    const home = join(work, "home");
    const { code, stdout, stderr } = await cli(
      ["-i", bed.inventoryPath, "--state-dir", join(work, "cli-state"), "run", "hung-nfs"],
      ["--storage", "nfs-iso", "--unattended"],
      { HOME: home },
    );
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toContain("remount-nfs-iso-pve1");
    expect(existsSync(inNode("pve1", "/mnt/pve/nfs-iso/written-before"))).toBe(false);
    expect(bed.mountInfo("pve1", "/mnt/pve/nfs-iso")).toContain(` ${bed.servers.iso}:/export/iso `);
    expect(bed.mounts("pve3")).toBe(pve3Before);
  });
});

function readProcState(pid: number): string {
  try {
    return (
      readFileSync(`/proc/${pid}/stat`, "utf8")
        .replace(/^.*\) /, "")
        .split(" ")[0] ?? ""
    );
  } catch {
    return "gone";
  }
}

async function cli(
  globals: string[],
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { SSH_AUTH_SOCK: _agent, ...rest } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(REPO, "bin", "pvefix.js"), ...globals, ...args],
      { env: { ...rest, NO_COLOR: "1", ...env }, cwd: REPO },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
