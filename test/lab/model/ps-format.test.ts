import { describe, expect, it } from "vitest";
import { formatLine, parseFormat } from "../../../src/lab/model/ps-format.js";
import type { LabProc } from "../../../src/lab/state.js";

const proc = (over: Partial<LabProc>): LabProc => ({
  pid: 1093,
  starttime: 900,
  comm: "pmxcfs",
  state: "S",
  args: "/usr/bin/pmxcfs",
  rss: 61232,
  cpuPermille: 4,
  unit: null,
  ...over,
});

function columns(spec: string) {
  const format = parseFormat([spec]);
  if ("unknown" in format) throw new Error(format.unknown);
  return format;
}

describe("procps column layout", () => {
  it("right-aligns pids to pid_max's 7 digits and leaves the last column unpadded", () => {
    const format = columns("pid=,args=");
    expect(format.header).toBe(false);
    expect(formatLine(format.columns, proc({}))).toBe("   1093 /usr/bin/pmxcfs");
  });

  it("prints headers right-aligned over numbers and COMMAND for comm and args", () => {
    const format = columns("pid,rss,pcpu,comm,args");
    expect(format.header).toBe(true);
    expect(formatLine(format.columns, null)).toBe("    PID   RSS %CPU COMMAND         COMMAND");
    expect(formatLine(format.columns, proc({}))).toBe("   1093 61232  0.4 pmxcfs          /usr/bin/pmxcfs");
  });

  it("lets a too-wide value eat the next column's padding instead of shifting the line", () => {
    const format = columns("pid=,rss=,pcpu=,comm=");
    expect(formatLine(format.columns, proc({ rss: 186744, cpuPermille: 9 }))).toBe(
      "   1093 186744 0.9 pmxcfs",
    );
    expect(
      formatLine(
        format.columns,
        proc({ pid: 1843, rss: 125829120, cpuPermille: 3871, comm: "zerotier-one" }),
      ),
    ).toBe("   1843 125829120 387 zerotier-one");
  });

  it("prints %CPU above 99.9 as a whole number", () => {
    const format = columns("pcpu=");
    expect(formatLine(format.columns, proc({ cpuPermille: 1873 }))).toBe(" 187");
    expect(formatLine(format.columns, proc({ cpuPermille: 999 }))).toBe("99.9");
  });

  it("renames a header with field=TEXT and rejects unknown fields", () => {
    const format = columns("pid=PROCESS");
    expect(formatLine(format.columns, null)).toBe("PROCESS");
    expect(parseFormat(["pid,bogus"])).toEqual({ unknown: "bogus" });
  });
});
