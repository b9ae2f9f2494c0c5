import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { HaManagerStatus, parseHaManagerStatus } from "../../../src/pve/parsers/ha-manager-status.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseHaManagerStatus", () => {
  it("reads the format of pve-ha-manager before 5.1.3", () => {
    expect(parseHaManagerStatus(fixture("ha-manager-status-old.txt"))).toEqual({
      quorum: { ok: true, message: "OK" },
      master: {
        node: "pve1",
        state: "active",
        time: "Wed Mar 11 14:03:12 2026",
        crs: "basic",
        disarm: null,
      },
      fencing: null,
      lrms: [
        { node: "pve1", state: "active", watchdog: null, time: "Wed Mar 11 14:03:10 2026" },
        { node: "pve2", state: "idle", watchdog: null, time: "Wed Mar 11 14:03:08 2026" },
        { node: "pve3", state: "old timestamp - dead?", watchdog: null, time: "Wed Mar 11 14:01:40 2026" },
      ],
      services: [
        { sid: "ct:101", node: "pve2", state: "started" },
        { sid: "vm:100", node: "pve1", state: "started" },
        { sid: "vm:102", node: "pve3", state: "fence" },
      ],
    });
  });

  it("reads the fencing line and the watchdog field of newer versions", () => {
    const status = parseHaManagerStatus(fixture("ha-manager-status-new.txt"));
    expect(status.fencing).toBe("armed (CRM watchdog active)");
    expect(status.master).toMatchObject({ node: "pve1", state: "active", time: "Wed Mar  4 09:15:02 2026" });
    expect(status.lrms).toEqual([
      { node: "pve1", state: "active", watchdog: "watchdog active", time: "Wed Mar  4 09:15:01 2026" },
      { node: "pve2", state: "idle", watchdog: "watchdog standby", time: "Wed Mar  4 09:14:58 2026" },
      {
        node: "pve3",
        state: "maintenance mode",
        watchdog: "watchdog released",
        time: "Wed Mar  4 09:14:59 2026",
      },
      { node: "pve4", state: "unable to read lrm status", watchdog: null, time: null },
    ]);
  });

  it("turns an unknown service node '---' into null and keeps states with spaces", () => {
    const { services } = parseHaManagerStatus(fixture("ha-manager-status-new.txt"));
    expect(services).toContainEqual({ sid: "vm:105", node: null, state: "not found" });
    expect(services).toContainEqual({ sid: "ct:101", node: "pve2", state: "request_start_balance" });
  });

  it("reports a missing quorum with its message", () => {
    const status = parseHaManagerStatus(fixture("ha-manager-status-no-quorum.txt"));
    expect(status.quorum).toEqual({ ok: false, message: "No quorum on node 'pve3'!" });
    expect(status.lrms.find((l) => l.node === "pve3")?.state).toBe("lost_agent_lock");
  });

  it("accepts a trimmed lrm line without time", () => {
    const status = parseHaManagerStatus("quorum OK\nlrm pve2 (old timestamp - dead?, watchdog standby)\n");
    expect(status.lrms[0]).toEqual({
      node: "pve2",
      state: "old timestamp - dead?",
      watchdog: "watchdog standby",
      time: null,
    });
  });

  it("ignores master suffixes and stops at the verbose cluster state", () => {
    const text =
      'quorum OK\nmaster pve1 (active, Wed Mar 11 14:03:12 2026) - static load CRS\nfull cluster state:\n{\n"master_node": "pve1"\n}\n';
    expect(parseHaManagerStatus(text).master?.state).toBe("active");
  });

  it("refuses a line it does not know, naming the line", () => {
    expect(() => parseHaManagerStatus("quorum OK\nbogus line\n")).toThrowError(
      expect.objectContaining({ line: 2 }),
    );
  });

  it("refuses output without a quorum line", () => {
    expect(() => parseHaManagerStatus("")).toThrow(ParseError);
  });

  it("returns a value the schema accepts", () => {
    const status = parseHaManagerStatus(fixture("ha-manager-status-new.txt"));
    expect(HaManagerStatus.parse(status)).toEqual(status);
  });
});
