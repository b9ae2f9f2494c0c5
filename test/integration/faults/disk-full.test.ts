/**
 * Fault matrix row 7: the state directory's disk fills up while a backup is being recorded.
 * The state directory is a 1 MiB tmpfs (this needs root). Right after the backup read of
 * stuck-lock's guest config is journaled, the test fills the disk to the byte: it pads the
 * journal's last page with blank lines (which readers skip) and fills every free page with a
 * filler file. The journal copy of a backup is written before anything changes, so the run must
 * stop there with nothing changed on the cluster.
 */
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statfsSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import stuckLock from "../../../runbooks/stuck-lock.js";
import { describeError, exitCodeForError } from "../../../src/cli/exit-codes.js";
import { NODE_BACKUP_ROOT } from "../../../src/engine/backup.js";
import type { EngineListener } from "../../../src/engine/events.js";
import { JournalEntry, readJournal } from "../../../src/engine/journal.js";
import { NODE_LOCK_DIR } from "../../../src/engine/lock.js";
import { redact } from "../../../src/engine/redact.js";
import { exitCodeFor } from "../../../src/engine/session.js";
import { loadLab } from "../../../src/lab/index.js";
import { renderRunResult } from "../../../src/views/run-result.js";
import { mutations, type ServedCluster, serveCluster, sha256, sha256OnNode } from "../served-lab.js";

const CT100 = "/etc/pve/nodes/pve1/lxc/100.conf";
/** tmpfs hands out whole pages: only the journal's own last page can hold a few more bytes. */
const PAGE = 4096;

let bed: ServedCluster;
let disk: string;

beforeAll(async () => {
  disk = mkdtempSync(join(tmpdir(), "pvefix-faults-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", disk], { stdio: "pipe" });
  } catch (error) {
    throw new Error(`the disk-full rows mount a tmpfs and must run as root: ${(error as Error).message}`);
  }
  bed = await serveCluster("default");
});

afterAll(async () => {
  await bed?.close();
  execFileSync("umount", [disk]);
  rmdirSync(disk);
});

afterEach(() => {
  rmSync(join(disk, "filler"), { force: true });
});

function journalFileIn(stateDir: string): string {
  const file = readdirSync(join(stateDir, "runs")).find((f) => f.endsWith(".jsonl"));
  if (!file) throw new Error(`no journal in ${stateDir}`);
  return join(stateDir, "runs", file);
}

/** Leave exactly `bytes` of room for the journal, and none for anything else. */
function fillDisk(journalFile: string, bytes: number): void {
  const slack = (PAGE - (statSync(journalFile).size % PAGE)) % PAGE;
  appendFileSync(journalFile, "\n".repeat((slack - bytes + PAGE) % PAGE));
  const fd = openSync(join(disk, "filler"), "w");
  const page = Buffer.alloc(PAGE, 0x2e);
  try {
    for (;;) writeSync(fd, page);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  expect(statfsSync(disk).bavail).toBe(0);
}

/** The journal line the engine is about to write for the backup taken from `read`. */
function backupLineLength(runId: string, read: { stdout: string }): number {
  const content = Buffer.from(read.stdout.trim(), "base64");
  const entry = JournalEntry.parse({
    type: "backup",
    time: new Date().toISOString(),
    stepId: "unlock-100",
    node: "pve1",
    path: CT100,
    existed: true,
    sha256: sha256(content),
    contentBase64: content.toString("base64"),
    nodeCopy: `${NODE_BACKUP_ROOT}/${runId}/unlock-100${CT100}`,
  });
  return Buffer.byteLength(`${redact(JSON.stringify(entry))}\n`);
}

/** Fill the disk right after the backup read is journaled; returns what it saw. */
function fillAfterBackupRead(stateDir: string, room: (runId: string, read: { stdout: string }) => number) {
  const seen = { runId: "", lineLength: 0 };
  const listener: EngineListener = {
    onCommand({ phase, result }) {
      if (phase !== "backup" || !result.command.startsWith("base64 -w0")) return;
      const file = journalFileIn(stateDir);
      seen.runId = file.slice(file.lastIndexOf("/") + 1, -".jsonl".length);
      seen.lineLength = backupLineLength(seen.runId, result);
      fillDisk(file, room(seen.runId, result));
    },
  };
  return { listener, seen };
}

async function nodeFiles(prefix: string): Promise<string[]> {
  const pve1 = (await loadLab(bed.labDir)).nodes.find((n) => n.name === "pve1");
  return Object.keys(pve1?.files ?? {}).filter((p) => p.startsWith(prefix));
}

async function expectUnchanged(before: string, runId: string): Promise<void> {
  expect(await sha256OnNode(bed.labDir, "pve1", CT100)).toBe(before);
  // No node-side copy was made, and the node lock was released.
  expect(await nodeFiles(`${NODE_BACKUP_ROOT}/${runId}/`)).toEqual([]);
  expect(await nodeFiles(NODE_LOCK_DIR)).toEqual([]);
}

/** Free the disk, then a rerun does the unlock exactly once. */
async function expectConvergence(stateDir: string): Promise<void> {
  rmSync(join(disk, "filler"), { force: true });
  expect((await bed.run({ runbook: stuckLock, params: { vmid: 100 }, stateDir })).outcome).toBe("done");
  expect((await bed.run({ runbook: stuckLock, params: { vmid: 100 }, stateDir })).outcome).toBe(
    "nothing-to-do",
  );
  expect(mutations(stateDir, "pve1", "pct unlock").map((r) => r.exitCode)).toEqual([0]);
}

describe("a state disk that fills up during a run", () => {
  it("stops before any change with exit 1 when not one more byte of the backup entry fits", async () => {
    await bed.reset("default");
    const stateDir = join(disk, "exact");
    mkdirSync(stateDir);
    const before = await sha256OnNode(bed.labDir, "pve1", CT100);
    const { listener, seen } = fillAfterBackupRead(stateDir, () => 0);

    // Nothing changed, so the run ends "failed" (exit 1) and says the journal could not be written.
    const result = await bed.run({ runbook: stuckLock, params: { vmid: 100 }, stateDir, listener });
    expect(result.outcome).toBe("failed-rolled-back");
    expect(exitCodeFor(result.outcome)).toBe(1);
    expect(result.error).toMatch(/ENOSPC: no space left on device/);
    await expectUnchanged(before, seen.runId);
    // What the journal could still hold says how far the run got: the backup read, no more.
    const entries = readJournal(stateDir, seen.runId);
    expect(entries.at(-1)).toMatchObject({ type: "command", phase: "backup", stepId: "unlock-100" });
    expect(entries.filter((e) => e.type === "backup" || e.type === "run-end")).toEqual([]);

    await expectConvergence(stateDir);
  });

  it("stops before the node copy when the backup entry only partly fits", async () => {
    await bed.reset("default");
    const stateDir = join(disk, "partial");
    mkdirSync(stateDir);
    const before = await sha256OnNode(bed.labDir, "pve1", CT100);
    const { listener, seen } = fillAfterBackupRead(
      stateDir,
      (runId, read) => backupLineLength(runId, read) - 1,
    );

    const result = await bed.run({ runbook: stuckLock, params: { vmid: 100 }, stateDir, listener });
    expect(result.outcome).toBe("failed-rolled-back");
    expect(exitCodeFor(result.outcome)).toBe(1);
    expect(result.error).toMatch(/ENOSPC: no space left on device/);
    // A short write is a failed write: the engine must not go on as if the backup were recorded.
    await expectUnchanged(before, seen.runId);
    const tail = readFileSync(journalFileIn(stateDir), "utf8").split("\n").at(-1) ?? "";
    expect(tail.startsWith('{"type":"backup"')).toBe(true);
    expect(Buffer.byteLength(tail)).toBe(seen.lineLength - 1);

    await expectConvergence(stateDir);
  });

  it("does not claim a rollback (exit 1) when the journal fills up after the step changed the cluster", async () => {
    await bed.reset("default");
    const stateDir = join(disk, "after-change");
    mkdirSync(stateDir);
    const before = await sha256OnNode(bed.labDir, "pve1", CT100);
    let runId = "";
    const listener: EngineListener = {
      onCommand({ phase, result }) {
        if (phase !== "step" || result.command !== "pct unlock 100") return;
        const file = journalFileIn(stateDir);
        runId = file.slice(file.lastIndexOf("/") + 1, -".jsonl".length);
        fillDisk(file, 0);
      },
    };

    const error = await bed.run({ runbook: stuckLock, params: { vmid: 100 }, stateDir, listener }).then(
      () => null,
      (e: unknown) => e,
    );

    // The unlock ran and is journaled; nothing after it could be written, nothing was undone.
    const entries = readJournal(stateDir, runId);
    expect(entries.at(-1)).toMatchObject({ type: "command", phase: "step", result: { exitCode: 0 } });
    const restored = (await sha256OnNode(bed.labDir, "pve1", CT100)) === before;
    // Exit 1 promises "failed and rolled back"; with the change still in place only 5 is true.
    expect(restored ? [1, 5] : [5]).toContain(exitCodeForError(error));
    rmSync(join(disk, "filler"), { force: true });
  });

  it("says which disk is full instead of calling it a bug in pvefix", async () => {
    await bed.reset("default");
    const stateDir = join(disk, "message");
    mkdirSync(stateDir);
    const { listener } = fillAfterBackupRead(stateDir, () => 0);

    // Whether the run ends with a result (nothing changed) or an error (something did), the words
    // the operator reads name the state directory and the full disk.
    const outcome = await bed.run({ runbook: stuckLock, params: { vmid: 100 }, stateDir, listener }).then(
      (result) => renderRunResult(result, "text", { color: false }),
      (e: unknown) => describeError(e),
    );

    const message = outcome;
    expect(message).not.toContain("this is a bug in pvefix");
    expect(message).toContain(stateDir);
    expect(message).toMatch(/no space left on device/i);
    rmSync(join(disk, "filler"), { force: true });
  });
});
