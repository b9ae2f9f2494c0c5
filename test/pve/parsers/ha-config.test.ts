import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  haGroupsFormat,
  haResourcesFormat,
  haRulesFormat,
  parseHaGroups,
  parseHaResources,
  parseHaRules,
} from "../../../src/pve/parsers/ha-config.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("ha-config", () => {
  it("offers the three HA files as parse formats", () => {
    expect([haResourcesFormat.name, haGroupsFormat.name, haRulesFormat.name]).toEqual([
      "ha-resources",
      "ha-groups",
      "ha-rules",
    ]);
  });

  it("parses each HA file through its format with a result the schema accepts", () => {
    const resources = haResourcesFormat.parse(fixture("ha-resources-cfg.txt"));
    expect(haResourcesFormat.schema.parse(resources)).toEqual(
      parseHaResources(fixture("ha-resources-cfg.txt")),
    );
    expect(haGroupsFormat.schema.parse(parseHaGroups(fixture("ha-groups-cfg.txt")))).toHaveLength(1);
    expect(haRulesFormat.schema.parse(parseHaRules(fixture("ha-rules-cfg.txt")))).toHaveLength(2);
  });
});
