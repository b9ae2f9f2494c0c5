import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Journal, listRuns, readJournal, summarizeRun, unusedRunId } from "../../src/engine/journal.js";

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-journal-"));
}

const start = {
  runId: "20261123T000000Z-demo-0001",
  runbook: "demo",
  mode: "interactive" as const,
  params: { vmid: 100 },
  cluster: "lab",
  transport: "lab",
};

describe("journal", () => {
  it("draws another run id when the one drawn is taken in the state directory", () => {
    const dir = tmp();
    Journal.create(dir, start);
    const drawn = [start.runId, "20261123T000000Z-demo-0002"];
    expect(unusedRunId(dir, "demo", () => drawn.shift()!)).toBe("20261123T000000Z-demo-0002");
  });

  it("appends typed entries and redacts secrets before they reach the disk", () => {
    const dir = tmp();
    const j = Journal.create(dir, start);
    j.append({
      type: "command",
      phase: "step",
      result: {
        node: "pve1",
        command: "pvesm set s --password hunter2",
        exitCode: 0,
        stdout: "",
        stderr: "",
        durationMs: 1,
        timedOut: false,
        connectionLost: false,
        failed: false,
      },
    });
    j.append({ type: "run-end", outcome: "done", exitCode: 0 });
    const text = fs.readFileSync(path.join(dir, "runs", `${start.runId}.jsonl`), "utf8");
    expect(text).not.toContain("hunter2");
    expect(readJournal(dir, start.runId).map((e) => e.type)).toEqual(["run-start", "command", "run-end"]);
    expect(summarizeRun(readJournal(dir, start.runId))).toMatchObject({
      outcome: "done",
      exitCode: 0,
      params: { vmid: 100 },
    });
  });

  it("marks a run whose process died without an end entry as interrupted, and ignores a torn last line", () => {
    const dir = tmp();
    Journal.create(dir, start);
    const file = path.join(dir, "runs", `${start.runId}.jsonl`);
    const lines = fs.readFileSync(file, "utf8").replace(`"pid":${process.pid}`, '"pid":999999');
    fs.writeFileSync(file, `${lines}{"type":"step-sta`);
    expect(listRuns(dir)[0]?.outcome).toBe("interrupted");
  });

  it("says which runs exist when asked for one that does not, and rejects path tricks", () => {
    const dir = tmp();
    expect(() => readJournal(dir, "nope")).toThrow(/No run nope/);
    expect(() => readJournal(dir, "../etc/passwd")).toThrow(/Expected a run id/);
  });
});
