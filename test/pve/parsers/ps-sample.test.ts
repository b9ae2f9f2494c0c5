import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePsSample } from "../../../src/pve/parsers/ps-sample.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parsePsSample", () => {
  it("reads pid, resident memory in KiB, CPU above 100 % and the command", () => {
    expect(parsePsSample(fixture("ps-zerotier-runaway.txt"))).toEqual([
      { pid: 1843, rssKiB: 125829120, cpuPercent: 387, comm: "zerotier-one" },
    ]);
  });

  it("reads a decimal comma from a non-English locale", () => {
    expect(parsePsSample(fixture("ps-locale-comma.txt")).map((s) => s.cpuPercent)).toEqual([2.5, 0]);
  });

  it("reads a command name containing a space", () => {
    expect(parsePsSample("  77  0  0.0 kworker/u8:2 fl\n")[0]?.comm).toBe("kworker/u8:2 fl");
  });

  it("reads empty output (no such process) as an empty list", () => {
    expect(parsePsSample("")).toEqual([]);
  });

  it("names the line it cannot read", () => {
    expect(() => parsePsSample("  PID   RSS %CPU COMMAND\n")).toThrow(/line 1/);
  });
});
