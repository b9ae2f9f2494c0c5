/**
 * The journal: an append-only record of one run (JSON lines under `<state>/runs/<runId>.jsonl`).
 * Each entry is written and fsynced before the engine moves on, so a run that dies mid-way
 * leaves a journal that says exactly what ran. Secrets are redacted from the entry's values before
 * it is serialised (src/engine/redact.ts), never from the JSON text.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { CommandResult } from "../transport/types.js";
import { EngineError, JournalWriteError } from "./errors.js";
import type { JournalMirror } from "./journal-store.js";
import { Check, Plan, Refusal, RunMode, RunOutcome, StepStatus } from "./model.js";
import { redactDeep } from "./redact.js";

const time = z.string();

export const JournalEntry = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("run-start"),
    time,
    runId: z.string(),
    runbook: z.string(),
    mode: RunMode,
    params: z.record(z.string(), z.unknown()),
    cluster: z.string(),
    transport: z.string(),
    /** The inventory file (`-i`) the run was given; absent for the lab and API callers. */
    inventory: z.string().optional(),
    /** The Ansible group (`--group`) that picked the cluster in that inventory. */
    inventoryGroup: z.string().optional(),
    user: z.string(),
    host: z.string(),
    pid: z.number().int(),
    undoOf: z.string().optional(),
    /**
     * Who started the run and why (`pvefix serve`): the trigger and the policy verdict with its
     * numbers (attempts, cooldown, storm window), so the journal answers "why did this run".
     */
    trigger: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({ type: z.literal("facts"), time, facts: z.unknown() }),
  z.object({
    type: z.literal("command"),
    time,
    phase: z.string(),
    stepId: z.string().optional(),
    result: CommandResult,
    /**
     * A non-zero exit that was an answer, not a failure: an okExitCodes exit, a skipIf check, the
     * backup read of a file that does not exist. Views draw it neutral.
     */
    expected: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("decision"),
    time,
    kind: z.enum(["plan", "refusal", "nothing-to-do"]),
    plan: Plan.optional(),
    refusal: Refusal.optional(),
    reason: z.string().optional(),
  }),
  z.object({ type: z.literal("gate"), time, stepId: z.string(), approved: z.boolean(), answer: z.string() }),
  z.object({
    type: z.literal("backup"),
    time,
    stepId: z.string(),
    node: z.string(),
    path: z.string(),
    existed: z.boolean(),
    sha256: z.string().nullable(),
    /** Null for files that hold secrets (by path or by field): those are restored from the node copy. */
    contentBase64: z.string().nullable(),
    nodeCopy: z.string().nullable(),
  }),
  /** What a done step left in each file it declares, so that undo can tell when someone changed it since. */
  z.object({
    type: z.literal("file-state"),
    time,
    stepId: z.string(),
    node: z.string(),
    path: z.string(),
    sha256: z.string().nullable(),
    /** Null for a missing file and for secret files (compared by sha256 only). */
    contentBase64: z.string().nullable(),
  }),
  z.object({ type: z.literal("step-start"), time, stepId: z.string() }),
  z.object({
    type: z.literal("step-end"),
    time,
    stepId: z.string(),
    status: StepStatus,
    error: z.string().optional(),
  }),
  /**
   * A postcondition or a step's verify check, with its verdict (after any waiting). Journals
   * written before this entry existed simply have none.
   */
  z.object({
    type: z.literal("check"),
    time,
    phase: z.literal("verify"),
    stepId: z.string().optional(),
    check: Check,
    ok: z.boolean(),
    detail: z.string(),
  }),
  z.object({ type: z.literal("undo-start"), time, stepId: z.string(), of: z.string().optional() }),
  z.object({
    type: z.literal("undo-end"),
    time,
    stepId: z.string(),
    ok: z.boolean(),
    error: z.string().optional(),
    of: z.string().optional(),
  }),
  z.object({
    type: z.literal("run-end"),
    time,
    outcome: RunOutcome,
    exitCode: z.number().int(),
    message: z.string().optional(),
  }),
  z.object({ type: z.literal("undone-by"), time, runId: z.string(), outcome: RunOutcome }),
]);
export type JournalEntry = z.infer<typeof JournalEntry>;
/** An entry as the engine emits it; the journal stamps the time. */
export type JournalEntryInput = JournalEntry extends infer E
  ? E extends { time: string }
    ? Omit<E, "time">
    : never
  : never;

export function runsDir(stateDir: string): string {
  return path.join(stateDir, "runs");
}

export function newRunId(runbook: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${stamp}-${runbook}-${randomBytes(2).toString("hex")}`;
}

/**
 * A run id no run in `stateDir` has yet. Runs of one runbook started within the same second share
 * the stamp and differ only in 16 random bits, so a taken id is drawn again rather than trusted.
 */
export function unusedRunId(stateDir: string, runbook: string, draw = () => newRunId(runbook)): string {
  for (;;) {
    const runId = draw();
    if (!fs.existsSync(path.join(runsDir(stateDir), `${runId}.jsonl`))) return runId;
  }
}

export class Journal {
  /** The run-start entry `create` wrote (undefined for a journal re-opened to append). */
  start: JournalEntry | undefined;

  private constructor(
    readonly runId: string,
    readonly file: string,
    /** A copy other processes read (a fleet's PostgreSQL): every entry, after it reached the file. */
    readonly mirror: JournalMirror | null = null,
  ) {}

  static create(
    stateDir: string,
    start: Omit<Extract<JournalEntryInput, { type: "run-start" }>, "type" | "user" | "host" | "pid">,
    mirror: JournalMirror | null = null,
  ): Journal {
    const dir = runsDir(stateDir);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${start.runId}.jsonl`);
    if (fs.existsSync(file)) throw new EngineError("PVEFIX_BAD_INPUT", `run ${start.runId} already exists`);
    const journal = new Journal(start.runId, file, mirror);
    journal.start = journal.record({
      type: "run-start",
      ...start,
      user: os.userInfo().username,
      host: os.hostname(),
      pid: process.pid,
    });
    return journal;
  }

  /** Re-open an existing run to append (e.g. `undone-by`). */
  static open(stateDir: string, runId: string, mirror: JournalMirror | null = null): Journal {
    const file = journalFile(stateDir, runId);
    return new Journal(runId, file, mirror);
  }

  /**
   * For records that must not stop a run when they cannot be written (lock bookkeeping, the
   * run's end after an earlier write failed). Returns whether the entry reached the disk.
   */
  tryAppend(entry: JournalEntryInput): boolean {
    try {
      this.append(entry);
      return true;
    } catch (error) {
      if (error instanceof JournalWriteError) return false;
      throw error;
    }
  }

  append(entry: JournalEntryInput): void {
    this.record(entry);
  }

  /** Append `entry` and return it as written: stamped, redacted, parsed. */
  record(entry: JournalEntryInput): JournalEntry {
    const full = stampEntry(entry);
    const line = `${JSON.stringify(full)}\n`;
    try {
      const fd = fs.openSync(this.file, "a", 0o600);
      try {
        // On a nearly full disk writeSync writes part of the line and returns the short count;
        // writeFileSync writes on, so a full disk throws here before the engine takes another step.
        fs.writeFileSync(fd, line);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      throw new JournalWriteError(this.file, error);
    }
    // The same redacted entry: a secret that never reaches the file never reaches the copy either.
    this.mirror?.append(this.runId, full);
    return full;
  }
}

/** An entry as every journal keeps it: stamped with the time, secrets redacted, checked. */
export function stampEntry(entry: JournalEntryInput): JournalEntry {
  return JournalEntry.parse(redactDeep({ ...entry, time: new Date().toISOString() }));
}

export function journalFile(stateDir: string, runId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(runId)) {
    throw new EngineError(
      "PVEFIX_RUN_NOT_FOUND",
      `Expected a run id like 20261123T103500Z-stuck-lock-1a2b, got \`${runId}\``,
    );
  }
  const file = path.join(runsDir(stateDir), `${runId}.jsonl`);
  if (!fs.existsSync(file)) {
    throw new EngineError(
      "PVEFIX_RUN_NOT_FOUND",
      `No run ${runId} in ${runsDir(stateDir)}`,
      "run `pvefix runs` to list runs",
    );
  }
  return file;
}

export function readJournal(stateDir: string, runId: string): JournalEntry[] {
  const text = fs.readFileSync(journalFile(stateDir, runId), "utf8");
  // A torn last line (killed mid-write) is ignored rather than failing the whole journal.
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      try {
        return [JournalEntry.parse(JSON.parse(line))];
      } catch {
        return [];
      }
    });
}

export interface RunSummary {
  runId: string;
  runbook: string;
  mode: RunMode;
  startedAt: string;
  params: Record<string, unknown>;
  cluster: string;
  /** `running` while the owning process lives; `interrupted` when it died without an end entry. */
  outcome: RunOutcome | "running";
  exitCode: number | null;
  undoneBy: string | null;
  undoOf: string | null;
}

export function summarizeRun(entries: JournalEntry[]): RunSummary {
  const start = entries.find((e) => e.type === "run-start");
  if (start?.type !== "run-start")
    throw new EngineError("PVEFIX_RUN_NOT_FOUND", "journal has no run-start entry");
  const end = entries.findLast((e) => e.type === "run-end");
  // Only a complete undo ends a run's life; after a failed one the run can still be undone.
  const undone = entries.findLast((e) => e.type === "undone-by" && e.outcome === "undone");
  let outcome: RunSummary["outcome"];
  if (end?.type === "run-end") outcome = end.outcome;
  else outcome = start.host === os.hostname() && pidAlive(start.pid) ? "running" : "interrupted";
  return {
    runId: start.runId,
    runbook: start.runbook,
    mode: start.mode,
    startedAt: start.time,
    params: start.params,
    cluster: start.cluster,
    outcome,
    exitCode: end?.type === "run-end" ? end.exitCode : null,
    undoneBy: undone?.type === "undone-by" ? undone.runId : null,
    undoOf: start.undoOf ?? null,
  };
}

/** A journal file `pvefix runs` cannot read (0 bytes after a crash, or from an older version). */
export interface UnreadableJournal {
  file: string;
  reason: string;
}

/**
 * Every run of the state directory, oldest first, and the journal files that are not a run's: one
 * unreadable file (an empty one left by a crash) must not hide the others.
 */
export function scanRuns(stateDir: string): { runs: RunSummary[]; unreadable: UnreadableJournal[] } {
  const dir = runsDir(stateDir);
  if (!fs.existsSync(dir)) return { runs: [], unreadable: [] };
  const runs: RunSummary[] = [];
  const unreadable: UnreadableJournal[] = [];
  for (const f of fs.readdirSync(dir).filter((name) => name.endsWith(".jsonl"))) {
    const file = path.join(dir, f);
    try {
      runs.push(summarizeRun(readJournal(stateDir, f.slice(0, -".jsonl".length))));
    } catch (error) {
      const empty = fs.statSync(file, { throwIfNoEntry: false })?.size === 0;
      unreadable.push({ file, reason: empty ? "empty file (0 bytes)" : (error as Error).message });
    }
  }
  // Run ids carry whole seconds; the start entry's time has milliseconds.
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
  return { runs, unreadable };
}

/** The runs `scanRuns` can read, oldest first. */
export function listRuns(stateDir: string): RunSummary[] {
  return scanRuns(stateDir).runs;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
