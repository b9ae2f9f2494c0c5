import { describe, expect, it } from "vitest";
import { formatsB } from "../../../src/pve/parsers/registry-b.js";

describe("formatsB", () => {
  it("registers every corosync, network, ZeroTier and ps format under a unique kebab-case name", () => {
    const names = formatsB.map((f) => f.name);
    expect(names).toEqual([
      "pvecm-status",
      "corosync-quorumtool",
      "pvecm-nodes",
      "corosync-cfgtool",
      "corosync-cmapctl",
      "corosync-cfgtool-nodes",
      "corosync-qdevice-tool",
      "corosync-conf",
      "zerotier-local-conf",
      "zerotier-info",
      "zerotier-listnetworks",
      "ip-link",
      "ip-addr",
      "corosync-log",
      "ps",
    ]);
    expect(new Set(names).size).toBe(names.length);
    for (const f of formatsB) expect(f.description.length).toBeGreaterThan(10);
  });

  it("returns values that satisfy each format's own schema", () => {
    const samples: Record<string, string> = {
      "zerotier-info": "200 info 8a3f2e91c4 1.14.2 OFFLINE\n",
      ps: "  1 2 0.0 init\n",
      "ip-link": '[{"ifname":"lo","mtu":65536,"operstate":"UNKNOWN"}]',
    };
    for (const [name, text] of Object.entries(samples)) {
      const format = formatsB.find((f) => f.name === name)!;
      expect(format.schema.safeParse(format.parse(text)).success).toBe(true);
    }
  });
});
