/**
 * Fault matrix rows 7b and 7c: a state directory pvefix cannot write before a run starts (a full
 * disk, a read-only file system). The CLI says which directory and why with exit 2, prints one
 * JSON document under `-o json`, and leaves no lock or journal that would block the next run.
 * Both beds are tmpfs mounts (this needs root: chmod does not stop root, a read-only mount does).
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedCluster, serveCluster } from "../served-lab.js";
import { assertBuilt, runCli } from "./cli.js";

let bed: ServedCluster;
const mounts: string[] = [];

function tmpfs(options: string): string {
  const dir = mkdtempSync(join(tmpdir(), "pvefix-faults-statedir-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    throw new Error(`the state-dir rows mount a tmpfs and must run as root: ${(error as Error).message}`);
  }
  mounts.push(dir);
  return dir;
}

/** Fill every free page of the file system holding `dir`. */
function fill(dir: string): string {
  const filler = join(dir, "filler");
  const fd = openSync(filler, "w");
  const page = Buffer.alloc(4096, 0x2e);
  try {
    for (;;) writeSync(fd, page);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  return filler;
}

/** Files under `dir/sub`, or [] when it does not exist. */
function filesIn(dir: string, sub: string): string[] {
  try {
    return readdirSync(join(dir, sub));
  } catch {
    return [];
  }
}

beforeAll(async () => {
  assertBuilt();
  bed = await serveCluster("default");
});

afterAll(async () => {
  await bed?.close();
  for (const dir of mounts) {
    execFileSync("umount", [dir]);
    rmdirSync(dir);
  }
});

const run = (stateDir: string, ...extra: string[]) =>
  runCli([
    "-i",
    bed.server.inventoryPath,
    "--state-dir",
    stateDir,
    ...extra,
    "run",
    "stuck-lock",
    "--vmid",
    "100",
    "--unattended",
  ]);

describe("a state directory that cannot be written", () => {
  it("full disk: exit 2 naming the directory, one JSON document, no lock left; the next run works once there is room", async () => {
    const disk = tmpfs("size=256k,mode=0700");
    const stateDir = join(disk, "state");
    mkdirSync(stateDir);
    const filler = fill(disk);

    const text = await run(stateDir);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain(`Cannot write to the state directory ${stateDir}: no space left on device`);
    expect(text.stderr).not.toContain("Internal error");
    expect(text.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(filesIn(stateDir, "locks")).toEqual([]);
    expect(filesIn(stateDir, "runs")).toEqual([]);

    const json = await run(stateDir, "-o", "json");
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      schemaVersion: 1,
      kind: "error",
      exitCode: 2,
      error: { code: "PVEFIX_STATE_DIR", message: expect.stringContaining("no space left on device") },
    });

    // Room again: no lock from the failed attempts stands in the way.
    rmSync(filler);
    const after = await run(stateDir);
    expect(after.stderr).not.toContain("Another pvefix run is active");
    expect(after.code).toBe(0);
    // The journal records the inventory, so `undo` without -i can say which one to pass.
    const [journal] = filesIn(stateDir, "runs");
    const start = JSON.parse(readFileSync(join(stateDir, "runs", journal!), "utf8").split("\n")[0]!);
    expect(start).toMatchObject({ type: "run-start", inventory: resolve(bed.server.inventoryPath) });
    const undo = await runCli(["--state-dir", stateDir, "undo", "last"]);
    expect(undo.code).toBe(2);
    expect(undo.stderr).toContain(`pass -i ${resolve(bed.server.inventoryPath)}`);
  });

  it("read-only file system: exit 2 naming the directory and the cause, nothing left behind", async () => {
    await bed.reset("default");
    const disk = tmpfs("size=1m,mode=0700");
    const stateDir = join(disk, "state");
    mkdirSync(stateDir);
    execFileSync("mount", ["-o", "remount,ro", disk]);

    const result = await run(stateDir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `Cannot write to the state directory ${stateDir}: read-only file system (EROFS)`,
    );
    expect(result.stderr).not.toContain("Internal error");

    execFileSync("mount", ["-o", "remount,rw", disk]);
    expect(filesIn(stateDir, "locks")).toEqual([]);
    const after = await run(stateDir);
    expect(after.code).toBe(0);
  });

  it("an empty lock file left by an older version does not hold the cluster", async () => {
    await bed.reset("default");
    const stateDir = bed.stateDir;
    mkdirSync(join(stateDir, "locks"), { recursive: true });
    closeSync(openSync(join(stateDir, "locks", `${bed.cluster}.lock`), "w"));
    const result = await run(stateDir);
    expect(result.stderr).not.toContain("Another pvefix run is active");
    expect(result.code).toBe(0);
  });
});
