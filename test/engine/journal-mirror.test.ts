import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Gate } from "../../src/engine/apply.js";
import { type JournalEntry, type JournalEntryInput, readJournal } from "../../src/engine/journal.js";
import type { JournalMirror, RunJournals } from "../../src/engine/journal-store.js";
import { defineRunbook } from "../../src/engine/runbook.js";
import { runRunbook, undoRun } from "../../src/engine/session.js";
import { FakeCluster } from "./fake-cluster.js";
import { testMeta } from "./test-meta.js";

/** Two steps on one node, each a command with a command undo; a secret parameter to redact. */
const twoSteps = defineRunbook({
  meta: testMeta("two-steps", "safe", "eligible"),
  params: z.object({ password: z.string().default("hunter2-secret") }),
  examples: [],
  async probe() {
    return {};
  },
  decide() {
    return {
      kind: "plan",
      plan: {
        summary: "one then two",
        steps: ["one", "two"].map((id) => ({
          id,
          title: id,
          node: "n1",
          risk: "safe" as const,
          reason: "r",
          actions: [{ kind: "exec" as const, command: `demo-do ${id}` }],
          undo: {
            kind: "actions" as const,
            description: `revert ${id}`,
            actions: [{ kind: "exec" as const, command: `demo-undo ${id}` }],
          },
        })),
      },
    };
  },
});

const yes: Gate = async () => ({ approved: true, answer: "yes" });

/** A mirror that remembers what it was given and, at each flush, how many commands the cluster had been sent. */
class RecordingMirror implements JournalMirror {
  readonly entries: Array<{ runId: string; entry: JournalEntry }> = [];
  readonly flushes: Array<{ entries: number; commands: number }> = [];
  failFrom = Number.POSITIVE_INFINITY;
  /** The failure says another worker took the run over (as PgJournalMirror's WorkerRevokedError). */
  takenOver = false;
  constructor(private readonly cluster: FakeCluster) {}
  append(runId: string, entry: JournalEntry): void {
    this.entries.push({ runId, entry });
  }
  async flush(): Promise<void> {
    if (this.flushes.length >= this.failFrom) {
      throw this.takenOver
        ? Object.assign(new Error("worker declared dead"), { runTakenOver: true })
        : new Error("connection to the database lost");
    }
    this.flushes.push({ entries: this.entries.length, commands: this.cluster.log.length });
  }
}

let stateDir: string;
let cluster: FakeCluster;
let mirror: RecordingMirror;

function journals(dir: string): RunJournals {
  return {
    read: (id) => readJournal(dir, id),
    undoAttempts: () => [],
    ended: () => false,
    appendTo: () => undefined,
    mirror,
  };
}

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-mirror-"));
  cluster = new FakeCluster(["n1"]);
  cluster.on((_node, argv) => (argv[0]?.startsWith("demo-") ? { exitCode: 0 } : undefined));
  mirror = new RecordingMirror(cluster);
});

const run = () =>
  runRunbook({
    transport: cluster,
    nodes: ["n1"],
    cluster: "demo",
    runbook: twoSteps,
    rawParams: {},
    stateDir,
    mode: "unattended",
    gate: yes,
    journals: journals(stateDir),
  });

describe("the journal's mirror", () => {
  it("receives every entry of the file, in order, redacted as the file has it", async () => {
    const result = await run();
    expect(result.outcome).toBe("done");
    const file = readJournal(stateDir, result.runId!);
    expect(mirror.entries.map((e) => e.entry)).toEqual(file);
    expect(new Set(mirror.entries.map((e) => e.runId))).toEqual(new Set([result.runId]));
    expect(JSON.stringify(mirror.entries)).not.toContain("hunter2-secret");
    expect(fs.readFileSync(path.join(stateDir, "runs", `${result.runId}.jsonl`), "utf8")).not.toContain(
      "hunter2-secret",
    );
  });

  it("is flushed with each step's start before the step's first command is sent", async () => {
    await run();
    for (const id of ["one", "two"]) {
      const startAt = mirror.entries.findIndex((e) => e.entry.type === "step-start" && e.entry.stepId === id);
      const firstCommand = cluster.log.findIndex((l) => l.command === `demo-do ${id}`);
      expect(startAt).toBeGreaterThanOrEqual(0);
      expect(firstCommand).toBeGreaterThanOrEqual(0);
      // Some flush covered the step-start while the cluster had not yet been sent the step's command.
      const barrier = mirror.flushes.find((f) => f.entries > startAt && f.commands <= firstCommand);
      expect(barrier, `no flush between step-start ${id} and its command`).toBeDefined();
    }
  });

  it("a mirror that cannot be written stops the run before its next step and rolls back what ran", async () => {
    // The first flush (step one's barrier) works; the next (step two's) fails.
    mirror.failFrom = 1;
    const result = await run();
    expect(result.outcome).toBe("failed-rolled-back");
    expect(result.steps.map((s) => s.status)).toEqual(["undone", "skipped"]);
    expect(result.error).toMatch(/stopped before step two: not sent: the journal's copy cannot be written/);
    const sent = cluster.log.map((l) => l.command).filter((c) => c.startsWith("demo-"));
    expect(sent).toEqual(["demo-do one", "demo-undo one"]);
    // The local journal has it all: the mirror copies it when the database is back.
    const file = readJournal(stateDir, result.runId!);
    expect(file.find((e) => e.type === "step-end" && e.stepId === "two")).toMatchObject({
      status: "skipped",
    });
    expect(file.at(-1)).toMatchObject({ type: "run-end", outcome: "failed-rolled-back" });
  });

  it("a run another worker took over stops before its next step and sends no rollback of its own", async () => {
    mirror.failFrom = 1;
    mirror.takenOver = true;
    const result = await run();
    expect(result.outcome).toBe("interrupted");
    expect(result.steps.map((s) => s.status)).toEqual(["done", "skipped"]);
    const sent = cluster.log.map((l) => l.command).filter((c) => c.startsWith("demo-"));
    expect(sent).toEqual(["demo-do one"]);
    expect(readJournal(stateDir, result.runId!).at(-1)).toMatchObject({
      type: "run-end",
      outcome: "interrupted",
    });
  });

  it("undo works from journals another process holds, and appends its record there", async () => {
    const done = await run();
    const runId = done.runId!;
    // The run as a database has it; the undo runs from an empty state directory (another worker).
    const theirs = readJournal(stateDir, runId);
    fs.rmSync(path.join(stateDir, "runs", `${runId}.jsonl`));
    const appended: Array<{ runId: string; entry: JournalEntryInput }> = [];
    const remote: RunJournals = {
      read: (id) => (id === runId ? theirs : readJournal(stateDir, id)),
      undoAttempts: () => [],
      ended: (id) => id === runId,
      appendTo: (id, entry) => {
        appended.push({ runId: id, entry });
      },
      mirror,
    };
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-mirror-other-"));
    const undo = await undoRun({
      transport: cluster,
      nodes: ["n1"],
      cluster: "demo",
      stateDir: other,
      runId,
      runbookFor: () => twoSteps,
      mode: "unattended",
      gate: yes,
      journals: remote,
    });
    expect(undo.outcome).toBe("undone");
    const sent = cluster.log.map((l) => l.command).filter((c) => c.startsWith("demo-undo"));
    expect(sent).toEqual(["demo-undo two", "demo-undo one"]);
    expect(appended).toEqual([{ runId, entry: { type: "undone-by", runId: undo.runId, outcome: "undone" } }]);
    // The undo's own journal is in the other state directory and in the mirror.
    expect(mirror.entries.filter((e) => e.runId === undo.runId).map((e) => e.entry)).toEqual(
      readJournal(other, undo.runId!),
    );
  });
});
