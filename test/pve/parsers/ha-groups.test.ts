import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseHaGroups, serializeHaGroups } from "../../../src/pve/parsers/ha-groups.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseHaGroups", () => {
  it("reads nodes with priorities, restricted and nofailback", () => {
    expect(parseHaGroups(fixture("ha-groups-cfg.txt"))).toEqual([
      {
        group: "prefer-pve1",
        nodes: [
          { node: "pve1", priority: 2, effectivePriority: 2 },
          { node: "pve2", priority: 1, effectivePriority: 1 },
          // No number in the file: kept null for round-trips, decided as 0.
          { node: "pve3", priority: null, effectivePriority: 0 },
        ],
        restricted: false,
        nofailback: true,
        comment: null,
        props: { nodes: "pve1:2,pve2:1,pve3", nofailback: "1", restricted: "0" },
      },
    ]);
  });

  it("refuses a malformed node priority", () => {
    expect(() => parseHaGroups("group: g\n\tnodes pve1:high\n")).toThrow(ParseError);
  });
});

describe("serializeHaGroups", () => {
  it("round-trips a PVE-written groups.cfg byte for byte", () => {
    const text = fixture("ha-groups-cfg.txt");
    expect(serializeHaGroups(parseHaGroups(text))).toBe(text);
  });

  it("writes changed nodes and flags", () => {
    const [group] = parseHaGroups(fixture("ha-groups-cfg.txt"));
    const text = serializeHaGroups([{ ...group!, nodes: [{ node: "pve2", priority: 5 }], restricted: true }]);
    expect(text).toBe("group: prefer-pve1\n\tnodes pve2:5\n\tnofailback 1\n\trestricted 1\n\n");
  });
});
