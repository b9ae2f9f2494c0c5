import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliSession, type PvefixResult } from "./pvefix.js";

const cli = cliSession();

/** Every stdout line of `-o jsonl`, parsed: a line that is not one JSON object fails the test. */
function lines(result: PvefixResult): Array<Record<string, unknown>> {
  expect(result.stdout.endsWith("\n")).toBe(true);
  return result.stdout
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const value = JSON.parse(line) as unknown;
      expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
      return value as Record<string, unknown>;
    });
}

function journal(runId: string): unknown[] {
  const text = fs.readFileSync(path.join(cli.stateDir, "runs", `${runId}.jsonl`), "utf8");
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as unknown);
}

describe("-o jsonl: the run's events as they happen, the result last", () => {
  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset"])).code).toBe(0);
  });

  it("streams a run's events, one JSON object a line, exactly as journaled, then the result", async () => {
    const result = await cli.pvefix([
      "run",
      "stuck-lock",
      "--vmid",
      "100",
      "--unattended",
      "--lab",
      "-o",
      "jsonl",
    ]);
    expect(result.code).toBe(0);
    const all = lines(result);
    const events = all.slice(0, -1);
    const last = all.at(-1)!;
    expect(last).toMatchObject({ outcome: "done", schemaVersion: 1 });
    for (const e of events) {
      expect(Object.keys(e).slice(0, 2)).toEqual(["type", "time"]);
      expect(Number.isNaN(Date.parse(String(e.time)))).toBe(false);
    }
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("run-start");
    expect(types).toEqual(
      expect.arrayContaining(["probe-start", "probe-end", "decision", "step-start", "step-end"]),
    );
    expect(types.at(-1)).toBe("run-end");
    const journaled = events.filter((e) => e.type !== "probe-start" && e.type !== "probe-end");
    expect(journaled).toEqual(journal(String(last.runId)));
  });

  it("streams an undo's events as its journal records them, then its result", async () => {
    const runs = JSON.parse((await cli.pvefix(["runs", "-o", "json"])).stdout) as {
      runs: Array<{ runId: string }>;
    };
    const runId = runs.runs.at(-1)!.runId;
    const undo = await cli.pvefix(["undo", runId, "--unattended", "--lab", "-o", "jsonl"]);
    expect(undo.code).toBe(0);
    const all = lines(undo);
    const last = all.at(-1)!;
    expect(last).toMatchObject({ outcome: "undone", exitCode: 0, undoOf: runId });
    const events = all.slice(0, -1);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["undo-start", "undo-end"]));
    expect(events).toEqual(journal(String(last.runId)));
  });

  it("prints an error as one JSON line with the error's exit code", async () => {
    const result = await cli.pvefix(["run", "stuck-lock", "--vmid", "nope", "--lab", "-o", "jsonl"]);
    expect(result.code).toBe(2);
    const all = lines(result);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: "error", exitCode: 2 });
  });

  it("streams plan's probe events before the plan document", async () => {
    await cli.pvefix(["lab", "reset"]);
    const result = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--lab", "-o", "jsonl"]);
    expect(result.code).toBe(0);
    const all = lines(result);
    expect(all[0]?.type).toBe("probe-start");
    expect(all.some((e) => e.type === "command")).toBe(true);
    expect(all.at(-1)).toMatchObject({ kind: "plan" });
  });
});
