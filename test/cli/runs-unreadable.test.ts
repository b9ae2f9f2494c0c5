/** `pvefix runs` with a journal file it cannot read: the others are listed, the bad one is named. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runRuns } from "../../src/cli/commands/journal.js";
import type { GlobalOptions } from "../../src/cli/global-options.js";
import { Journal, scanRuns } from "../../src/engine/journal.js";

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A state directory with one finished run, a 0-byte journal (a crash) and one with no run-start. */
function stateDir(): { dir: string; runId: string; empty: string; headless: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-runs-"));
  dirs.push(dir);
  const runId = "20261123T000000Z-stuck-lock-0001";
  const j = Journal.create(dir, {
    runId,
    runbook: "stuck-lock",
    mode: "interactive",
    params: { vmid: 100 },
    cluster: "lab",
    transport: "lab",
  });
  j.append({ type: "run-end", outcome: "done", exitCode: 0 });
  const empty = path.join(dir, "runs", "20261124T000000Z-stuck-lock-0002.jsonl");
  fs.writeFileSync(empty, "");
  const headless = path.join(dir, "runs", "20261125T000000Z-stuck-lock-0003.jsonl");
  fs.writeFileSync(
    headless,
    '{"type":"run-end","time":"2026-11-25T00:00:00.000Z","outcome":"done","exitCode":0}\n',
  );
  return { dir, runId, empty, headless };
}

describe("runs with an unreadable journal", () => {
  it("scans the readable runs and names each unreadable file with why", () => {
    const { dir, runId, empty, headless } = stateDir();
    const { runs, unreadable } = scanRuns(dir);
    expect(runs.map((r) => r.runId)).toEqual([runId]);
    expect(unreadable).toEqual([
      { file: empty, reason: "empty file (0 bytes)" },
      { file: headless, reason: "journal has no run-start entry" },
    ]);
  });

  it("lists the others (exit 0) and warns on stderr, so -o json stays one document", async () => {
    const { dir, runId, empty } = stateDir();
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => err.push(String(s)) > 0);
    const globals: GlobalOptions = {
      lab: true,
      stateDir: dir,
      output: "json",
      color: false,
      verbose: false,
      acceptNewHostKeys: false,
    };
    expect(await runRuns(globals, { limit: "0" })).toBe(0);
    vi.restoreAllMocks();
    const doc = JSON.parse(out.join(""));
    expect(JSON.stringify(doc)).toContain(runId);
    expect(err.join("")).toContain(`⚠ Skipped ${empty}: not a readable journal (empty file (0 bytes))`);
  });
});
