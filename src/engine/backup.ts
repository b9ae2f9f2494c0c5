/**
 * Backups of every file a step declares, taken before the step runs: a copy on the node and the
 * bytes plus sha256 in the journal. A file with secrets (a priv/ file, a storage.cfg with a CIFS
 * password) keeps its bytes only in the node copy; the journal has its sha256. Restores are
 * verified by sha256 on the node.
 */
import { EXIT } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";
import { copyFile, readFile, removeFile, sha256, writeFileAtomic } from "../transport/files.js";
import type { CommandResult, Transport } from "../transport/types.js";
import type { EventSink } from "./events.js";
import { sha256Hex } from "./fingerprint.js";
import type { JournalEntry } from "./journal.js";
import { holdsSecrets } from "./redact.js";

export type BackupRecord = Omit<Extract<JournalEntry, { type: "backup" }>, "type" | "time">;
export type FileStateRecord = Omit<Extract<JournalEntry, { type: "file-state" }>, "type" | "time">;

export const NODE_BACKUP_ROOT = "/var/lib/pvefix/backups";

/** Backups of one run, keyed by the step that took them (rollback restores each step's own copy). */
export class BackupStore {
  private readonly records = new Map<string, BackupRecord>();

  static key(stepId: string, node: string, path: string): string {
    return `${stepId}\u0000${node}\u0000${path}`;
  }

  add(record: BackupRecord): void {
    this.records.set(BackupStore.key(record.stepId, record.node, record.path), record);
  }

  get(stepId: string, node: string, path: string): BackupRecord | undefined {
    return this.records.get(BackupStore.key(stepId, node, path));
  }

  all(): BackupRecord[] {
    return [...this.records.values()];
  }

  static fromJournal(entries: JournalEntry[]): BackupStore {
    const store = new BackupStore();
    for (const e of entries) if (e.type === "backup") store.add(e);
    return store;
  }
}

export class BackupError extends PvefixError {
  override readonly name = "BackupError";
  readonly code = "PVEFIX_BACKUP_FAILED";
  constructor(message: string) {
    super(message, { exitCode: EXIT.failed, internal: true });
  }
}

export async function backupFile(options: {
  transport: Transport;
  events: EventSink;
  runId: string;
  stepId: string;
  node: string;
  path: string;
  record: (result: CommandResult, expected?: boolean) => void;
}): Promise<BackupRecord> {
  const { transport, node, path } = options;
  const read = await readFile(transport, node, path);
  // A file that does not exist yet is recorded as such; its read's non-zero exit is that answer.
  options.record(read.result, !read.exists);
  const nodeCopy = read.exists ? `${NODE_BACKUP_ROOT}/${options.runId}/${options.stepId}${path}` : null;
  const backup: BackupRecord = {
    stepId: options.stepId,
    node,
    path,
    existed: read.exists,
    sha256: read.exists ? sha256Hex(read.content) : null,
    contentBase64:
      read.exists && !holdsSecrets(path, read.content.toString("utf8"))
        ? read.content.toString("base64")
        : null,
    nodeCopy,
  };
  // The journal copy first: if the local disk is full this throws before anything changed.
  options.events.emit({ type: "backup", ...backup });
  if (nodeCopy) {
    const copy = await copyFile(transport, node, path, nodeCopy);
    options.record(copy);
    if (copy.failed)
      throw new BackupError(`could not copy ${path} to ${nodeCopy} on ${node}: ${copy.stderr.trim()}`);
  }
  return backup;
}

/**
 * Journal what a step left in `path`, so that a later undo can tell the run's bytes from someone
 * else's. A read that fails records nothing (the undo then asks or refuses): the step is done and
 * must not fail for want of evidence. A journal that cannot be written still stops the run.
 */
export async function recordFileState(options: {
  transport: Transport;
  events: EventSink;
  stepId: string;
  node: string;
  path: string;
  record: (result: CommandResult) => void;
}): Promise<FileStateRecord | null> {
  const { node, path } = options;
  let read: Awaited<ReturnType<typeof readFile>>;
  try {
    read = await readFile(options.transport, node, path);
  } catch {
    return null;
  }
  options.record(read.result);
  const state: FileStateRecord = {
    stepId: options.stepId,
    node,
    path,
    sha256: read.exists ? sha256Hex(read.content) : null,
    contentBase64:
      read.exists && !holdsSecrets(path, read.content.toString("utf8"))
        ? read.content.toString("base64")
        : null,
  };
  options.events.emit({ type: "file-state", ...state });
  return state;
}

/** Put the backed-up bytes back (or remove a file that did not exist) and prove it by sha256. */
export async function restoreFile(
  transport: Transport,
  backup: BackupRecord,
  record: (result: CommandResult) => void,
): Promise<void> {
  const { node, path } = backup;
  if (!backup.existed) {
    const rm = await removeFile(transport, node, path);
    record(rm);
    if (rm.failed) throw new BackupError(`could not remove ${path} on ${node}: ${rm.stderr.trim()}`);
    return;
  }
  if (backup.contentBase64 !== null) {
    const results = await writeFileAtomic(transport, node, path, Buffer.from(backup.contentBase64, "base64"));
    results.forEach(record);
    const failed = results.find((r) => r.failed);
    if (failed) throw new BackupError(`could not restore ${path} on ${node}: ${failed.stderr.trim()}`);
  } else if (backup.nodeCopy) {
    const cp = await copyFile(transport, node, backup.nodeCopy, path);
    record(cp);
    if (cp.failed)
      throw new BackupError(
        `could not restore ${path} from ${backup.nodeCopy} on ${node}: ${cp.stderr.trim()}`,
      );
  }
  const now = await sha256(transport, node, path);
  if (now !== backup.sha256) {
    throw new BackupError(
      `restored ${path} on ${node} but its sha256 is ${now ?? "(missing)"}, expected ${backup.sha256}`,
    );
  }
}
