/**
 * Where an operation finds the journals of other runs, and where its own journal is copied. The
 * state directory is the default and the write-ahead record in every case; a fleet of
 * `pvefix serve` workers adds a mirror (PostgreSQL) that every worker reads, so a run started on
 * one machine can be shown, undone or taken over on another.
 */
import * as fs from "node:fs";
import {
  Journal,
  type JournalEntry,
  type JournalEntryInput,
  readJournal,
  runsDir,
  summarizeRun,
} from "./journal.js";

/**
 * A copy of journal entries, in order, somewhere other processes read. `append` never blocks and
 * never throws: the local file is the record. `flush` is the barrier: it resolves once every
 * entry appended so far is durable in the copy, and rejects when the copy cannot be reached.
 */
export interface JournalMirror {
  append(runId: string, entry: JournalEntry): void;
  flush(): Promise<void>;
}

/** What an operation reads about runs other than its own, and the one write it makes to them. */
export interface RunJournals {
  /** The entries of `runId`, in order; throws PVEFIX_RUN_NOT_FOUND when there is no such run. */
  read(runId: string): JournalEntry[];
  /** The undo-start/undo-end entries earlier undos of `runId` journaled. */
  undoAttempts(runId: string): JournalEntry[];
  /** Whether `runId` has ended (a node lock it holds is then stale). */
  ended(runId: string): boolean;
  /** Append to another run's journal (`undone-by`). */
  appendTo(runId: string, entry: JournalEntryInput): void;
  /** Where this process's own journals are copied; null for the state directory alone. */
  mirror: JournalMirror | null;
}

export function stateDirJournals(stateDir: string): RunJournals {
  return {
    read: (runId) => readJournal(stateDir, runId),
    undoAttempts: (runId) => localUndoAttempts(stateDir, runId),
    ended: (runId) => localRunEnded(stateDir, runId),
    appendTo: (runId, entry) => Journal.open(stateDir, runId).append(entry),
    mirror: null,
  };
}

/** Ended, or interrupted (no end, and its process is gone): not running. */
export function localRunEnded(stateDir: string, runId: string): boolean {
  try {
    return summarizeRun(readJournal(stateDir, runId)).outcome !== "running";
  } catch {
    return false;
  }
}

/** The undo entries earlier undos of `runId` journaled. An unreadable journal of another run is no reason to refuse. */
export function localUndoAttempts(stateDir: string, runId: string): JournalEntry[] {
  const files = fs.existsSync(runsDir(stateDir)) ? fs.readdirSync(runsDir(stateDir)) : [];
  return files.flatMap((file) => {
    if (!file.endsWith(".jsonl")) return [];
    let entries: JournalEntry[];
    try {
      entries = readJournal(stateDir, file.slice(0, -".jsonl".length));
    } catch {
      return [];
    }
    return undoEntriesOf(entries, runId);
  });
}

/** From one journal: the undo entries it holds about `runId`, if it is an undo of that run. */
export function undoEntriesOf(entries: readonly JournalEntry[], runId: string): JournalEntry[] {
  const start = entries.find((e) => e.type === "run-start");
  if (start?.type !== "run-start" || start.undoOf !== runId) return [];
  return entries.filter((e) => (e.type === "undo-start" || e.type === "undo-end") && e.of === runId);
}

/**
 * A mirror's refusal because another worker has taken this process's runs over (its heartbeat
 * was late): the run must send nothing more, not even its rollback, which the other worker does.
 */
export function runTakenOver(error: unknown): boolean {
  return (error as { runTakenOver?: unknown } | null)?.runTakenOver === true;
}
