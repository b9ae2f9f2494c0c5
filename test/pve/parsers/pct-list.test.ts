import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parsePctList } from "../../../src/pve/parsers/pct-list.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parsePctList", () => {
  const rows = parsePctList(fixture("pct-list-blank-lock.txt"));

  it("reads a locked container", () => {
    expect(rows[0]).toEqual({ vmid: 100, status: "running", lock: "backup", name: "web01" });
  });

  it("does not mistake the name for the lock when the Lock column is blank", () => {
    expect(rows[1]).toEqual({ vmid: 101, status: "stopped", lock: null, name: "dns01" });
  });

  it("reads a lock longer than its column and a name longer than its column", () => {
    expect(rows[2]).toEqual({ vmid: 102, status: "stopped", lock: "snapshot-delete", name: "db01" });
    expect(rows[3]).toEqual({
      vmid: 103,
      status: "running",
      lock: null,
      name: "a-very-long-container-hostname",
    });
  });

  it("reads a word in the Lock column of a row without name as the lock", () => {
    const text =
      "VMID       Status     Lock         Name                \n104        stopped    mounted                          \n";
    expect(parsePctList(text)).toEqual([{ vmid: 104, status: "stopped", lock: "mounted", name: "" }]);
  });

  it("reads the name of a pasted row whose padding was stripped", () => {
    expect(parsePctList("VMID Status Lock Name\n101 stopped dns01\n")[0]).toMatchObject({
      lock: null,
      name: "dns01",
    });
  });

  it("reads no output at all as no containers", () => {
    expect(parsePctList("")).toEqual([]);
  });

  it("refuses output without the header", () => {
    expect(() => parsePctList("100 running backup web01\n")).toThrow(ParseError);
  });
});
