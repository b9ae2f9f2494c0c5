/**
 * Inter-process lock around the lab state: `mkdir` is atomic, so whoever creates the lock
 * directory owns the state until it removes it. A lock whose owner process is gone (killed
 * `pvefix`, crashed test) is taken over instead of blocking the lab forever.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LabError } from "./errors.js";

/** A lock directory without an owner file is only trusted this long (its creator may have died in between). */
const OWNERLESS_GRACE_MS = 2_000;

export interface LockOptions {
  /** @default 15000 */
  timeoutMs?: number;
}

export async function withDirLock<T>(
  lockDir: string,
  fn: () => T | Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    if (tryAcquire(lockDir)) break;
    if (isStale(lockDir)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new LabError(
        "PVEFIX_LAB_LOCK_TIMEOUT",
        `The lab state is locked by another process (${lockDir}) for more than ${timeoutMs} ms; if no pvefix process is running, remove that directory`,
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 25);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function tryAcquire(lockDir: string): boolean {
  try {
    mkdirSync(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  writeFileSync(join(lockDir, "owner"), `${process.pid}\n`);
  return true;
}

function isStale(lockDir: string): boolean {
  let owner: number;
  try {
    owner = Number.parseInt(readFileSync(join(lockDir, "owner"), "utf8"), 10);
  } catch {
    try {
      return Date.now() - statSync(lockDir).mtimeMs > OWNERLESS_GRACE_MS;
    } catch {
      return false; // released meanwhile: just try again
    }
  }
  if (!Number.isInteger(owner) || owner <= 0) return true;
  return !processAlive(owner);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
