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

interface LockOwner {
  runId: string;
  pid: number;
  host: string;
  since: string;
}

export interface StateLock {
  release(): void;
}

export function acquireStateLock(stateDir: string, cluster: string, runId: string): StateLock {
  const dir = path.join(stateDir, "locks");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${cluster.replace(/[^A-Za-z0-9._-]/g, "_")}.lock`);
  const owner: LockOwner = { runId, pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(owner), { flag: "wx", mode: 0o600 });
      return {
        release: () => {
          if (readOwner(file)?.runId === runId) fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readOwner(file);
      // A holder that died (same host, pid gone) leaves a stale lock: take it over once.
      if (holder && holder.host === os.hostname() && !pidAlive(holder.pid)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      throw new EngineError(
        "PVEFIX_LOCKED",
        `Another pvefix run is active on cluster ${cluster}: ${holder?.runId ?? "unknown"} (pid ${holder?.pid ?? "?"} on ${holder?.host ?? "?"}, since ${holder?.since ?? "?"})`,
        `wait for it to finish, or inspect it with \`pvefix show ${holder?.runId ?? "<run-id>"}\``,
      );
    }
  }
  throw new EngineError("PVEFIX_LOCKED", `could not take the state lock ${file}`);
}

function readOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
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
