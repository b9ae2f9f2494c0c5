import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSystemctlIsActive, unitStates } from "../../../src/pve/parsers/systemctl-is-active.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseSystemctlIsActive", () => {
  it("reads one state per line in order", () => {
    expect(parseSystemctlIsActive(fixture("systemctl-is-active-mixed.txt"))).toEqual([
      "active",
      "deactivating",
      "failed",
      "inactive",
    ]);
  });

  it("accepts every state systemd prints", () => {
    const all =
      "active\nreloading\nrefreshing\ninactive\nfailed\nactivating\ndeactivating\nmaintenance\nunknown\n";
    expect(parseSystemctlIsActive(all)).toHaveLength(9);
  });

  it("refuses a word that is no unit state", () => {
    expect(() => parseSystemctlIsActive("active\nrunning\n")).toThrowError(
      expect.objectContaining({ line: 2 }),
    );
  });
});

describe("unitStates", () => {
  it("pairs states with units, so one active unit does not hide a hanging stop", () => {
    const units = ["pve-cluster", "pve-ha-lrm", "pve-ha-crm", "corosync"];
    expect(unitStates(units, fixture("systemctl-is-active-mixed.txt"))).toEqual({
      "pve-cluster": "active",
      "pve-ha-lrm": "deactivating",
      "pve-ha-crm": "failed",
      corosync: "inactive",
    });
  });

  it("refuses output with fewer states than units (e.g. --quiet)", () => {
    expect(() => unitStates(["corosync", "pve-cluster"], "")).toThrow(/expected 2 states/);
  });
});
