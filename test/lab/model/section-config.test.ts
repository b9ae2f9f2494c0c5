import { describe, expect, it } from "vitest";
import { REQUIRED_KEYS, readSections, writeSections } from "../../../src/lab/model/section-config.js";

const RULES =
  "node-affinity: ha-group-prefer-pve1\n\tcomment Generated from HA group 'prefer-pve1'.\n\tnodes pve1:2,pve2:1,pve3\n" +
  "\tresources vm:102\n\tstrict 0\n\nresource-affinity: keep-apart\n\tdisable\n\taffinity negative\n" +
  "\tresources vm:100,vm:102\n\n";

describe("SectionConfig text", () => {
  it("reads headers, tab-indented properties and a bare key as 1", () => {
    expect(readSections(RULES)).toEqual([
      {
        type: "node-affinity",
        id: "ha-group-prefer-pve1",
        props: {
          comment: "Generated from HA group 'prefer-pve1'.",
          nodes: "pve1:2,pve2:1,pve3",
          resources: "vm:102",
          strict: "0",
        },
      },
      {
        type: "resource-affinity",
        id: "keep-apart",
        props: { disable: "1", affinity: "negative", resources: "vm:100,vm:102" },
      },
    ]);
  });

  it("writes back PVE's exact bytes: comment, disable, required keys, optional keys, a blank line after each", () => {
    expect(writeSections(readSections(RULES), REQUIRED_KEYS)).toBe(RULES);
  });

  it("sorts a replication job's optional keys after its required target", () => {
    const text = writeSections(
      [{ type: "local", id: "100-0", props: { source: "pve1", schedule: "*/5", target: "pve2" } }],
      REQUIRED_KEYS,
    );
    expect(text).toBe("local: 100-0\n\ttarget pve2\n\tschedule */5\n\tsource pve1\n\n");
  });

  it("ignores comment lines and treats a missing file as empty", () => {
    expect(readSections("# managed by hand\nct: 101\n\tstate started\n")).toHaveLength(1);
    expect(readSections(undefined)).toEqual([]);
  });
});
