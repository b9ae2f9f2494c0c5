import { describe, expect, it } from "vitest";
import { oneLineIf, wantsJson, withEnvelope } from "../../src/cli/output.js";
import { jsonlStream, lineProgress } from "../../src/cli/progress.js";
import { EventStream } from "../../src/engine/events.js";
import type { CommandResult } from "../../src/transport/types.js";

const result = (command: string, exitCode: number): CommandResult => ({
  node: "pve1",
  command,
  exitCode,
  stdout: "",
  stderr: "",
  durationMs: 3,
  timedOut: false,
  connectionLost: false,
  failed: exitCode !== 0,
});

describe("-o jsonl pieces", () => {
  it("writes each event as one JSON line, type and time first, secrets redacted", () => {
    const written: string[] = [];
    const stream = new EventStream(
      null,
      jsonlStream((line) => written.push(line)),
    );
    stream.emit({ type: "probe-start", runbook: "stuck-lock" });
    stream.emit({ type: "command", phase: "probe", result: result("mount -o password=hunter2 x /mnt", 0) });
    expect(written).toHaveLength(2);
    for (const line of written) {
      expect(line.endsWith("\n")).toBe(true);
      expect(line.slice(0, -1)).not.toContain("\n");
      expect(Object.keys(JSON.parse(line) as object).slice(0, 2)).toEqual(["type", "time"]);
    }
    expect(written[1]).not.toContain("hunter2");
  });

  it("prints the result document on one line, and reads -o jsonl as wanting JSON errors", () => {
    const doc = withEnvelope(JSON.stringify({ outcome: "done" }, null, 2), "json", { cluster: "lab" });
    expect(doc.split("\n").length).toBeGreaterThan(1);
    const line = oneLineIf(true, doc);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual(JSON.parse(doc));
    expect(oneLineIf(false, doc)).toBe(doc);
    expect(wantsJson(["run", "x", "-o", "jsonl"])).toBe(true);
    expect(wantsJson(["run", "x", "--output=jsonl"])).toBe(true);
    expect(wantsJson(["run", "x", "-o", "md"])).toBe(false);
  });

  it("keeps lock bookkeeping and check reads off the progress lines unless --verbose", () => {
    const lines: string[] = [];
    const stream = new EventStream(null, lineProgress({ verbose: false, write: (l) => lines.push(l) }));
    stream.emit({ type: "command", phase: "lock", result: result("mkdir /run/pvefix.lock", 1) });
    stream.emit({ type: "command", phase: "verify", result: result("pvecm status", 1) });
    stream.emit({ type: "command", phase: "step", result: result("pct unlock 100", 1) });
    expect(lines).toEqual([expect.stringContaining("step: [pve1] $ pct unlock 100  ✖ exit 1")]);
  });
});
