import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseVmlist } from "../../../src/pve/parsers/vmlist.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseVmlist", () => {
  it("lists every guest with its owning node and type, sorted by vmid", () => {
    expect(parseVmlist(fixture("vmlist-cluster.txt"))).toEqual({
      version: 12,
      guests: [
        { vmid: 100, node: "pve1", type: "qemu", version: 3 },
        { vmid: 101, node: "pve2", type: "lxc", version: 5 },
        { vmid: 102, node: "pve1", type: "qemu", version: 7 },
      ],
    });
  });

  it("reads the version-only form as no guests", () => {
    expect(parseVmlist(fixture("vmlist-empty.txt"))).toEqual({ version: 1, guests: [] });
  });

  it("refuses an unknown guest type", () => {
    expect(() =>
      parseVmlist('{"version": 1, "ids": {"100": {"node": "a", "type": "kvm", "version": 1}}}'),
    ).toThrow(ParseError);
  });

  it("refuses a non-numeric VMID key", () => {
    expect(() =>
      parseVmlist('{"version": 1, "ids": {"abc": {"node": "a", "type": "lxc", "version": 1}}}'),
    ).toThrow(/numeric VMID/);
  });
});
