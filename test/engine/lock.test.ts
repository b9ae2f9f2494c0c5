import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireStateLock, stateLockFile, stateLockOwner } from "../../src/engine/lock.js";

let stateDir: string;
beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-lock-"));
});
afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

const writeLock = (text: string) => {
  fs.mkdirSync(path.join(stateDir, "locks"), { recursive: true });
  fs.writeFileSync(stateLockFile(stateDir, "lab"), text);
};

describe("the state lock", () => {
  it("holds the cluster for a live owner and names it", () => {
    const lock = acquireStateLock(stateDir, "lab", "run-a");
    expect(stateLockOwner(stateDir, "lab")).toMatchObject({ runId: "run-a", pid: process.pid });
    expect(() => acquireStateLock(stateDir, "lab", "run-b")).toThrow(
      /Another pvefix run is active on cluster lab: run-a/,
    );
    lock.release();
    expect(fs.readdirSync(path.join(stateDir, "locks"))).toEqual([]);
  });

  it.each([
    ["empty", ""],
    ["torn", '{"runId":"run-old","pi'],
    ["not an owner", "[]"],
  ])("is not held by an %s lock file", (_name, text) => {
    writeLock(text);
    const lock = acquireStateLock(stateDir, "lab", "run-b");
    expect(stateLockOwner(stateDir, "lab")?.runId).toBe("run-b");
    lock.release();
  });

  it("is taken over from an owner on this host whose process is gone", () => {
    const dead = 2 ** 22 + 12345; // above pid_max's default: no such process
    writeLock(
      JSON.stringify({ runId: "run-old", pid: dead, host: os.hostname(), since: "2026-12-05T00:00:00Z" }),
    );
    const lock = acquireStateLock(stateDir, "lab", "run-b");
    expect(stateLockOwner(stateDir, "lab")).toMatchObject({ runId: "run-b", pid: process.pid });
    lock.release();
  });

  it("leaves no draft file behind, whether it got the lock or not", () => {
    const lock = acquireStateLock(stateDir, "lab", "run-a");
    expect(() => acquireStateLock(stateDir, "lab", "run-b")).toThrow();
    expect(fs.readdirSync(path.join(stateDir, "locks"))).toEqual(["lab.lock"]);
    lock.release();
  });
});
