import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseProcPidStat } from "../../../src/pve/parsers/proc-pid-stat.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseProcPidStat", () => {
  it("splits comm at the last closing parenthesis and reads field 22 as starttime", () => {
    expect(parseProcPidStat(fixture("proc-pid-stat-comm-with-paren.txt"))).toEqual({
      pid: 1234,
      comm: "(sd-pam)",
      state: "S",
      starttime: 123456,
    });
  });

  it("keeps spaces and a ') ' inside comm", () => {
    const stat = "77 (a) b c) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 999 0 0\n";
    expect(parseProcPidStat(stat)).toMatchObject({ pid: 77, comm: "a) b c", state: "Z", starttime: 999 });
  });

  it("refuses a truncated line", () => {
    expect(() => parseProcPidStat("77 (x) S 1 2 3\n")).toThrow(ParseError);
  });

  it("refuses text that is no stat line", () => {
    expect(() => parseProcPidStat("cat: /proc/77/stat: No such file or directory")).toThrow(ParseError);
  });
});
