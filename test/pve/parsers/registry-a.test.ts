import { describe, expect, it } from "vitest";
import { formatsA } from "../../../src/pve/parsers/registry-a.js";

describe("formatsA", () => {
  it("offers every format of this parser set under a unique kebab-case name", () => {
    const names = formatsA.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((name) => /^[a-z][a-z0-9-]*$/.test(name))).toBe(true);
    expect(names).toEqual(
      expect.arrayContaining([
        "section-config",
        "storage-cfg",
        "guest-config",
        "tasks-active",
        "proc-pid-stat",
        "pvesm-status",
        "pct-list",
        "qm-list",
        "proc-mounts",
        "systemctl-is-active",
        "members",
        "vmlist",
        "ha-resources",
        "ha-groups",
        "ha-rules",
        "ha-manager-status",
        "replication-cfg",
        "pvesr-status",
      ]),
    );
  });

  it("describes every format in one line", () => {
    expect(formatsA.every((f) => f.description.length > 10 && !f.description.includes("\n"))).toBe(true);
  });

  it("parses pasted text into values its own schema accepts", () => {
    const pctList = formatsA.find((f) => f.name === "pct-list");
    const parsed = pctList?.parse(
      "VMID       Status     Lock         Name\n100        running    backup       web01\n",
    );
    expect(pctList?.schema.parse(parsed)).toEqual({
      rows: [{ vmid: 100, status: "running", lock: "backup", name: "web01" }],
      warnings: [],
    });
  });
});
