import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseQmList } from "../../../src/pve/parsers/qm-list.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseQmList", () => {
  const rows = parseQmList(fixture("qm-list-running.txt"));

  it("reads a running VM with its pid", () => {
    expect(rows[0]).toEqual({
      vmid: 100,
      name: "web",
      status: "running",
      memMb: 2048,
      bootDiskGb: 32,
      pid: 1234,
    });
  });

  it("turns pid 0 into null and keeps a default name with a space", () => {
    expect(rows[1]).toEqual({
      vmid: 101,
      name: "VM 101",
      status: "stopped",
      memMb: 512,
      bootDiskGb: 0,
      pid: null,
    });
  });

  it("reads a name longer than its column", () => {
    expect(rows[2]).toMatchObject({ vmid: 102, name: "win-server-2022-datacenter", pid: 99999 });
  });

  it("has no lock field because qm list has no lock column", () => {
    expect(Object.keys(rows[0] ?? {})).not.toContain("lock");
  });

  it("reads no output at all as no VMs", () => {
    expect(parseQmList("")).toEqual([]);
  });

  it("refuses a row it cannot read, naming the line", () => {
    const text = `${fixture("qm-list-running.txt")}       103 broken\n`;
    expect(() => parseQmList(text)).toThrowError(expect.objectContaining({ line: 5 }));
    expect(() => parseQmList("VMID NAME\n")).toThrow(ParseError);
  });
});
