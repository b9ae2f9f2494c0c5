/**
 * One remediation per cluster at a time (design rule 10): an exclusive lock file in the state
 * directory, and a lock directory on every node the plan touches (so two operators on two
 * machines cannot collide either).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sh } from "../shell/quote.js";
import type { CommandResult, Transport } from "../transport/types.js";
import { EngineError } from "./errors.js";
import { pidAlive } from "./journal.js";

export const NODE_LOCK_DIR = "/run/pvefix.lock";

export interface LockOwner {
  runId: string;
  pid: number;
  host: string;
  since: string;
}

export interface StateLock {
  release(): void;
}

/** The state lock of one cluster: `<state>/locks/<cluster>.lock`. */
export function stateLockFile(stateDir: string, cluster: string): string {
  return path.join(stateDir, "locks", `${cluster.replace(/[^A-Za-z0-9._-]/g, "_")}.lock`);
}

/**
 * A state directory pvefix cannot write (disk full, read-only, not ours): the run has not started,
 * so this is the operator's to fix before anything can run (exit 2), said with the directory.
 */
export class StateDirError extends EngineError {
  constructor(dir: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code ?? "error";
    super(
      "PVEFIX_STATE_DIR",
      `✖ Cannot write to the state directory ${dir}: ${STATE_DIR_CAUSES[code] ?? (cause as Error).message} (${code})`,
      "nothing was run; fix the directory (or point --state-dir / $PVEFIX_STATE_DIR elsewhere) and run again",
      { cause },
    );
  }
}

const STATE_DIR_CAUSES: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a path component is not a directory",
};

/**
 * The state-directory fault behind `error`, or null when it is something else. Node reports a
 * recursive mkdir on a read-only file system as ENOENT; asking the directory itself gives the cause.
 */
export function stateDirFault(stateDir: string, error: unknown): StateDirError | null {
  if (isStateDirFault(error)) return new StateDirError(stateDir, error);
  if ((error as NodeJS.ErrnoException | null)?.code !== "ENOENT") return null;
  let dir = stateDir;
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (cause) {
    if (isStateDirFault(cause)) return new StateDirError(stateDir, cause);
  }
  return null;
}

/** Whether an error is the file system refusing a write (as opposed to a bug). */
export function isStateDirFault(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" && code in STATE_DIR_CAUSES;
}

/**
 * The owner is written to a private file first and then hard-linked into place: the lock file
 * appears complete or not at all, so a full disk can never leave an empty lock behind. A lock
 * file that is empty or unreadable (older versions, a torn copy) holds nothing, and neither does
 * one whose owner process on this host is gone.
 */
export function acquireStateLock(stateDir: string, cluster: string, runId: string): StateLock {
  const file = stateLockFile(stateDir, cluster);
  const owner: LockOwner = { runId, pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const draft = `${file}.${process.pid}.${runId}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(draft, JSON.stringify(owner), { mode: 0o600 });
  } catch (error) {
    fs.rmSync(draft, { force: true });
    throw stateDirFault(stateDir, error) ?? error;
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.linkSync(draft, file);
        return {
          release: () => {
            if (readOwner(file)?.runId === runId) fs.rmSync(file, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
          throw stateDirFault(stateDir, error) ?? error;
        }
        const holder = readOwner(file);
        if (holder === null || (holder.host === os.hostname() && !pidAlive(holder.pid))) {
          // Nobody holds it: an empty or torn file, or a run that died. Take it over.
          fs.rmSync(file, { force: true });
          continue;
        }
        throw new EngineError(
          "PVEFIX_LOCKED",
          `Another pvefix run is active on cluster ${cluster}: ${holder.runId} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`,
          holder.host === os.hostname()
            ? `wait for it to finish, or inspect it with \`pvefix show ${holder.runId}\``
            : `wait for it to finish; if no run is active on ${holder.host}, remove ${file}`,
        );
      }
    }
    throw new EngineError("PVEFIX_LOCKED", `could not take the state lock ${file}`);
  } finally {
    fs.rmSync(draft, { force: true });
  }
}

/** Release the state lock only if this run holds it (for an emergency stop outside the engine's frame). */
export function releaseStateLockOf(stateDir: string, cluster: string, runId: string): boolean {
  const file = stateLockFile(stateDir, cluster);
  if (readOwner(file)?.runId !== runId) return false;
  fs.rmSync(file, { force: true });
  return true;
}

/** The run holding a cluster's state lock, if the lock file says so. */
export function stateLockOwner(stateDir: string, cluster: string): LockOwner | null {
  return readOwner(stateLockFile(stateDir, cluster));
}

function readOwner(file: string): LockOwner | null {
  try {
    const owner = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockOwner> | null;
    if (!owner || typeof owner.runId !== "string" || typeof owner.pid !== "number") return null;
    return {
      runId: owner.runId,
      pid: owner.pid,
      host: typeof owner.host === "string" ? owner.host : "?",
      since: typeof owner.since === "string" ? owner.since : "?",
    };
  } catch {
    return null;
  }
}

/**
 * Take the node-side lock on each node. A node that already carries our own run id counts as
 * ours (test beds whose nodes share one filesystem). Returns the nodes locked, for release.
 */
export async function acquireNodeLocks(
  transport: Transport,
  nodes: readonly string[],
  runId: string,
  isRunFinished: (otherRunId: string) => boolean,
  record: (result: CommandResult) => void,
): Promise<string[]> {
  const locked: string[] = [];
  try {
    for (const node of nodes) {
      const take = await transport.exec(
        node,
        sh`mkdir ${NODE_LOCK_DIR} && echo ${runId} > ${`${NODE_LOCK_DIR}/owner`}`,
      );
      record(take);
      if (!take.failed) {
        locked.push(node);
        continue;
      }
      const read = await transport.exec(node, sh`cat ${`${NODE_LOCK_DIR}/owner`}`);
      record(read);
      const holder = read.stdout.trim();
      if (holder === runId) continue;
      if (holder && isRunFinished(holder)) {
        // The holder's journal says it ended: its lock is stale. Replace it.
        const retake = await transport.exec(node, sh`echo ${runId} > ${`${NODE_LOCK_DIR}/owner`}`);
        record(retake);
        if (!retake.failed) {
          locked.push(node);
          continue;
        }
      }
      throw new EngineError(
        "PVEFIX_LOCKED",
        `Node ${node} is locked by another pvefix run${holder ? ` (${holder})` : ""}: ${NODE_LOCK_DIR} exists`,
        `if no pvefix run is active on this cluster, remove it: ssh ${node} rm -rf ${NODE_LOCK_DIR}`,
      );
    }
    return locked;
  } catch (error) {
    await releaseNodeLocks(transport, locked, record);
    throw error;
  }
}

export async function releaseNodeLocks(
  transport: Transport,
  nodes: readonly string[],
  record: (result: CommandResult) => void,
): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      try {
        record(await transport.exec(node, sh`rm -f ${`${NODE_LOCK_DIR}/owner`} && rmdir ${NODE_LOCK_DIR}`));
      } catch {
        // A node we cannot reach keeps its lock; the next run reports it with the fix.
      }
    }),
  );
}

/**
 * Release this run's node locks when the engine cannot (a second Ctrl-C): only a lock whose owner
 * file names this run is removed, and a node that does not answer within `deadlineMs` keeps its
 * lock, which the next run takes over once this run's journal says it ended.
 */
export async function releaseOwnNodeLocks(
  transport: Transport,
  nodes: readonly string[],
  runId: string,
  deadlineMs: number,
): Promise<{ released: string[]; kept: string[] }> {
  const owner = `${NODE_LOCK_DIR}/owner`;
  const results = await Promise.all(
    nodes.map(async (node) => {
      // Two plain commands (no shell substitution: a forced command or a minimal shell may lack it).
      const release = (async () => {
        const read = await transport.exec(node, sh`cat ${owner}`, { timeoutMs: deadlineMs });
        if (read.failed || read.stdout.trim() !== runId) return false;
        const rm = await transport.exec(node, sh`rm -f ${owner} && rmdir ${NODE_LOCK_DIR}`, {
          timeoutMs: deadlineMs,
        });
        return !rm.failed;
      })().catch(() => false);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      });
      const ok = await Promise.race([release, late]);
      clearTimeout(timer);
      return [node, ok] as const;
    }),
  );
  return {
    released: results.filter(([, ok]) => ok).map(([n]) => n),
    kept: results.filter(([, ok]) => !ok).map(([n]) => n),
  };
}
