import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseHaRules, serializeHaRules } from "../../../src/pve/parsers/ha-rules.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseHaRules", () => {
  const [nodeAffinity, resourceAffinity] = parseHaRules(fixture("ha-rules-cfg.txt"));

  it("reads a node-affinity rule migrated from an HA group", () => {
    expect(nodeAffinity).toMatchObject({
      rule: "ha-group-prefer-pve1",
      type: "node-affinity",
      resources: ["vm:102"],
      nodes: [
        { node: "pve1", priority: 2 },
        { node: "pve2", priority: 1 },
        { node: "pve3", priority: null },
      ],
      strict: false,
      disabled: false,
      comment: "Generated from HA group 'prefer-pve1'.",
    });
  });

  it("reads a disabled resource-affinity rule", () => {
    expect(resourceAffinity).toMatchObject({
      rule: "keep-apart",
      type: "resource-affinity",
      resources: ["vm:100", "vm:102"],
      affinity: "negative",
      disabled: true,
    });
  });

  it("refuses an unknown rule type", () => {
    expect(() => parseHaRules("location: r1\n\tresources vm:100\n")).toThrow(/unknown rule type 'location'/);
  });

  it("refuses a resource-affinity rule without a valid affinity", () => {
    expect(() => parseHaRules("resource-affinity: r\n\tresources vm:1\n")).toThrow(ParseError);
  });
});

describe("serializeHaRules", () => {
  it("round-trips a PVE-written rules.cfg byte for byte", () => {
    const text = fixture("ha-rules-cfg.txt");
    expect(serializeHaRules(parseHaRules(text))).toBe(text);
  });

  it("writes an enabled rule without the disable flag and keeps the resource list", () => {
    const [, rule] = parseHaRules(fixture("ha-rules-cfg.txt"));
    expect(serializeHaRules([{ ...rule!, disabled: false }])).toBe(
      "resource-affinity: keep-apart\n\taffinity negative\n\tresources vm:100,vm:102\n\n",
    );
  });

  it("writes a removed resource and a strict flag", () => {
    const [rule] = parseHaRules(fixture("ha-rules-cfg.txt"));
    if (rule?.type !== "node-affinity") throw new Error("fixture changed");
    expect(serializeHaRules([{ ...rule, resources: ["vm:102", "ct:101"], strict: true }])).toContain(
      "\tresources vm:102,ct:101\n\tstrict 1\n",
    );
  });
});
