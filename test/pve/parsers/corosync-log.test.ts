import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type LogEvent, parseCorosyncLog } from "../../../src/pve/parsers/corosync-log.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");
const one = (line: string): LogEvent | undefined => parseCorosyncLog(line)[0];

describe("parseCorosyncLog on the annotated field report (seed 001)", () => {
  const events = parseCorosyncLog(fixture("syslog-network-flap.txt"));
  const kinds = (k: LogEvent["kind"]) => events.filter((e) => e.kind === k);

  it("finds the partition: node 5 alone after nodes 1 3 4 8 left, then losing quorum", () => {
    expect(kinds("membership")[0]).toMatchObject({
      line: 38,
      ringId: "5.13620",
      joined: [],
      left: [1, 3, 4, 8],
    });
    expect(kinds("quorum-lost").map((e) => e.line)).toEqual([43]);
    expect(kinds("pmxcfs-quorum-lost").map((e) => e.line)).toEqual([48]);
    expect(kinds("pmxcfs-write-while-not-quorate").map((e) => e.line)).toEqual([49]);
  });

  it("finds the rejoin and the membership lines that list nobody", () => {
    expect(kinds("membership").map((e) => e.kind === "membership" && [e.ringId, e.joined, e.left])).toEqual([
      ["5.13620", [], [1, 3, 4, 8]],
      ["1.13624", [1, 3, 4, 8], []],
      ["1.13630", [], []],
      ["1.1363c", [], []],
      ["1.13648", [], []],
      ["1.13654", [], []],
    ]);
    expect(kinds("quorum-regained").map((e) => e.line)).toEqual([60]);
    expect(kinds("pmxcfs-quorum-regained").map((e) => e.line)).toEqual([63]);
  });

  it("reads knet link flaps and hosts left without any link", () => {
    expect(kinds("link-down").map((e) => e.kind === "link-down" && [e.host, e.link])).toEqual([
      [8, 0],
      [1, 0],
      [8, 0],
      [8, 0],
      [8, 0],
    ]);
    expect(kinds("link-up")).toHaveLength(5);
    expect(kinds("no-active-links").map((e) => e.kind === "no-active-links" && e.host)).toEqual([
      8, 1, 8, 8, 8,
    ]);
  });

  it("reads token warnings with their delay, despite the trailing space", () => {
    expect(kinds("token-warning").map((e) => e.kind === "token-warning" && e.ms)).toEqual([
      5266, 12169, 19848, 5396, 12299, 5363, 12264, 5399, 12301, 5402, 12303,
    ]);
  });

  it("reads the old numeric cpg errors of pmxcfs", () => {
    const errors = kinds("pmxcfs-corosync-error");
    expect(errors[0]).toMatchObject({ line: 68, call: "cpg_join", error: "14" });
    expect(
      errors.filter((e) => e.kind === "pmxcfs-corosync-error" && e.call === "cpg_send_message"),
    ).toHaveLength(28);
  });

  it("reads the HA lock losses (with the source's missing quote) and state changes", () => {
    expect(kinds("ha-lost-lock")).toEqual([
      expect.objectContaining({
        process: "pve-ha-lrm",
        pid: 3910,
        lock: "ha_agent_pve5_lock",
        reason: "cfs lock update failed - Operation not permitted",
      }),
      expect.objectContaining({ process: "pve-ha-crm", lock: "ha_manager_lock" }),
    ]);
    expect(
      kinds("ha-status-change").map((e) => e.kind === "ha-status-change" && `${e.from}=>${e.to}`),
    ).toEqual([
      "active=>lost_agent_lock",
      "master=>lost_manager_lock",
      "lost_manager_lock=>wait_for_quorum",
      "wait_for_quorum=>slave",
      "lost_agent_lock=>active",
      "slave=>master",
    ]);
  });

  it("reads the retransmit list and keeps process, pid and message", () => {
    expect(kinds("retransmit")).toEqual([
      {
        kind: "retransmit",
        line: 107,
        prefix: "",
        process: "corosync",
        pid: 3813,
        message: "Retransmit List: b e",
        list: ["b", "e"],
      },
    ]);
  });

  it("ignores annotations and lines of other daemons", () => {
    expect(events.some((e) => e.line === 1 || e.line === 13)).toBe(false);
  });
});

describe("parseCorosyncLog line variants", () => {
  it("accepts journalctl prefixes and any spacing around the subsystem", () => {
    expect(one("Dec 25 10:05:41 pve1 corosync[1642]: [KNET ] link: host: 2 link: 0 is down")).toMatchObject({
      kind: "link-down",
      prefix: "Dec 25 10:05:41 pve1",
      host: 2,
      link: 0,
    });
    expect(one("Mar 11 14:02:07 pve1 corosync[3050]:   [KNET  ] rx: host: 2 link: 0 is up")?.kind).toBe(
      "link-up",
    );
  });

  it("reads the knet 2.x heartbeat wording of a link coming up", () => {
    expect(one("corosync[1]:   [KNET  ] heartbeat: host: 3 link: 1 is up")).toMatchObject({
      host: 3,
      link: 1,
    });
  });

  it("reads token loss with timings (corosync ≥ 3.1) and without (2.x/3.0)", () => {
    expect(
      one(
        "corosync[9]:   [TOTEM ] A processor failed, forming new configuration: token timed out (3650ms), waiting 4380ms for consensus.",
      ),
    ).toMatchObject({ kind: "token-lost", timeoutMs: 3650, consensusMs: 4380 });
    expect(one("corosync[9]: [TOTEM ] A processor failed, forming new configuration.")).toMatchObject({
      kind: "token-lost",
      timeoutMs: null,
      consensusMs: null,
    });
  });

  it("reads membership ring ids of every corosync generation and joined+left lists", () => {
    expect(
      one("corosync[9]:   [TOTEM ] A new membership (1.2d) was formed. Members joined: 2 left: 3"),
    ).toMatchObject({
      ringId: "1.2d",
      joined: [2],
      left: [3],
    });
    expect(one("corosync[9]:   [TOTEM ] A new membership (1:44) was formed. Members left: 3")).toMatchObject({
      ringId: "1:44",
      left: [3],
    });
    expect(
      one("corosync[9]:  [TOTEM ] A new membership (10.10.10.1:44) was formed. Members joined: 3"),
    ).toMatchObject({
      ringId: "10.10.10.1:44",
      joined: [3],
    });
  });

  it("reads the config version mismatch that makes corosync exit", () => {
    expect(
      one(
        "corosync[9]:   [CMAP  ] Received config version (5) is different than my config version (4)! Exiting",
      ),
    ).toMatchObject({ kind: "config-version-mismatch", received: 5, local: 4 });
  });

  it("reads the bad-hostname failure from the wiki troubleshooting excerpt (seed 003)", () => {
    const text =
      "corosync[1647]:  [QUORUM] Quorum provider: corosync_votequorum failed to initialize.\n" +
      "corosync[1647]:  [SERV  ] Service engine 'corosync_quorum' failed to load for reason 'configuration error: nodelist or quorum.expected_votes must be configured!'\n";
    expect(parseCorosyncLog(text).map((e) => e.kind)).toEqual(["quorum-init-failed", "bad-hostname"]);
  });

  it("does not call every service-load failure a bad hostname", () => {
    const line =
      "corosync[9]:  [SERV  ] Service engine 'corosync_quorum' failed to load for reason 'configuration error: two_node and quorum device cannot be configured at the same time!'";
    expect(parseCorosyncLog(line)).toEqual([]);
  });

  it("reads the PVE 9 named corosync errors of pmxcfs", () => {
    expect(
      one(
        "pmxcfs[812]: [quorum] crit: quorum_initialize failed: CS_ERR_LIBRARY (failed to connect to corosync)",
      ),
    ).toMatchObject({
      kind: "pmxcfs-corosync-error",
      call: "quorum_initialize",
      error: "CS_ERR_LIBRARY (failed to connect to corosync)",
    });
    expect(one("pmxcfs[812]: [dcdb] crit: cpg_initialize failed: 2")).toMatchObject({
      call: "cpg_initialize",
      error: "2",
    });
  });

  it("accepts a lost-lock line whose closing quote was fixed", () => {
    expect(
      one("pve-ha-lrm[9]: lost lock 'ha_agent_pve1_lock' - cfs lock update failed - Permission denied"),
    ).toMatchObject({ lock: "ha_agent_pve1_lock", reason: "cfs lock update failed - Permission denied" });
  });

  it("returns no events for text without any known line", () => {
    expect(parseCorosyncLog("")).toEqual([]);
    expect(
      parseCorosyncLog(
        "corosync[1]:   [MAIN  ] Completed service synchronization, ready to provide service.",
      ),
    ).toEqual([]);
  });
});
