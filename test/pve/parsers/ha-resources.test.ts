import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseHaResources, serializeHaResources } from "../../../src/pve/parsers/ha-resources.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseHaResources", () => {
  const resources = parseHaResources(fixture("ha-resources-cfg.txt"));

  it("reads SIDs, types and vmids", () => {
    expect(resources.map((r) => [r.sid, r.type, r.vmid])).toEqual([
      ["ct:101", "ct", 101],
      ["vm:100", "vm", 100],
      ["vm:102", "vm", 102],
    ]);
  });

  it("applies PVE's defaults where the file says nothing", () => {
    expect(resources[0]).toMatchObject({
      state: "started",
      group: null,
      failback: true,
      maxRestart: 1,
      maxRelocate: 1,
      comment: null,
    });
  });

  it("reads failback 0, restart/relocate limits, a legacy group and a comment", () => {
    expect(resources[1]).toMatchObject({ failback: false, maxRestart: 2, comment: "web frontend" });
    expect(resources[2]).toMatchObject({ state: "disabled", group: "prefer-pve1", maxRelocate: 0 });
  });

  it("also reads ha-manager config output with 'vm:100' headers", () => {
    expect(parseHaResources("vm:100\n\tstate stopped\n\n")).toMatchObject([
      { sid: "vm:100", state: "stopped" },
    ]);
  });

  it("refuses a section type that is no HA resource", () => {
    expect(() => parseHaResources("group: g\n\tnodes a\n")).toThrow(ParseError);
  });

  it("refuses an unknown state", () => {
    expect(() => parseHaResources("vm: 100\n\tstate running\n")).toThrow(ParseError);
  });
});

describe("serializeHaResources", () => {
  it("round-trips a PVE-written resources.cfg byte for byte", () => {
    const text = fixture("ha-resources-cfg.txt");
    expect(serializeHaResources(parseHaResources(text))).toBe(text);
  });

  it("writes a changed state and keeps unknown keys", () => {
    const [resource] = parseHaResources("vm: 100\n\tfuture_key yes\n\tstate started\n");
    const text = serializeHaResources([{ ...resource!, state: "ignored" }]);
    expect(text).toBe("vm: 100\n\tfuture_key yes\n\tstate ignored\n\n");
  });

  it("adds no defaults the file did not have, and sorts new keys like PVE", () => {
    const [resource] = parseHaResources("ct: 101\n\tstate started\n");
    expect(serializeHaResources([{ ...resource!, failback: false, comment: "db" }])).toBe(
      "ct: 101\n\tcomment db\n\tfailback 0\n\tstate started\n\n",
    );
  });

  it("drops the legacy group when it is cleared", () => {
    const resources = parseHaResources(fixture("ha-resources-cfg.txt"));
    const text = serializeHaResources(resources.map((r) => ({ ...r, group: null })));
    expect(text).not.toContain("group");
  });
});
