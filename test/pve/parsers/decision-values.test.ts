/**
 * Values a decision needs (issue 11). Sources per fixture:
 * - ha-groups-cfg.txt / ha-rules-cfg.txt: pve-ha-manager src/PVE/HA/Groups.pm, Rules/NodeAffinity.pm
 *   (`node[:priority]`, no number = priority 0).
 * - ha-manager-status-disarmed-static-crs.txt: pve-ha-manager src/PVE/CLI/ha_manager.pm `status`
 *   master line with ` - <disarm state>, resource mode: <mode>` and ` - static load CRS` (facts §6.2).
 * - corosync-conf-two-node-link-priorities.txt: hand-edited corosync.conf (PVE never writes two_node or
 *   token; corosync man/corosync.conf.5, man/votequorum.5), knet_link_priority per interface.
 * - corosync-conf-hand-edited-qdevice.txt: pve-cluster src/PVE/CLI/pvecm.pm `setup_qdevice` layout.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCorosyncConf } from "../../../src/pve/parsers/corosync-conf.js";
import { parseHaGroups } from "../../../src/pve/parsers/ha-groups.js";
import { parseHaManagerStatus } from "../../../src/pve/parsers/ha-manager-status.js";
import { parseHaRules } from "../../../src/pve/parsers/ha-rules.js";
import { parseTasksActive } from "../../../src/pve/parsers/tasks-active.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("HA node priorities", () => {
  it("decides a node without an explicit priority as 0, not null", () => {
    const nodes = parseHaGroups(fixture("ha-groups-cfg.txt")).flatMap((g) => g.nodes);
    const bare = nodes.find((n) => n.priority === null);
    expect(bare?.effectivePriority).toBe(0);
    const rules = parseHaRules(fixture("ha-rules-cfg.txt"));
    const ruleNodes = rules.flatMap((r) =>
      "nodes" in r ? (r.nodes as Array<{ effectivePriority?: number }>) : [],
    );
    expect(ruleNodes.length).toBeGreaterThan(0);
    expect(ruleNodes.every((n) => typeof n.effectivePriority === "number")).toBe(true);
  });
});

describe("ha-manager status master line", () => {
  it("reads the CRS mode and the disarm state", () => {
    expect(parseHaManagerStatus(fixture("ha-manager-status-disarmed-static-crs.txt")).master).toEqual({
      node: "pve1",
      state: "active",
      time: "Wed Mar 11 14:03:12 2026",
      crs: "static",
      disarm: "disarmed, resource mode: freeze",
    });
  });

  it("reads no suffix as the basic scheduler", () => {
    expect(parseHaManagerStatus(fixture("ha-manager-status-old.txt")).master?.crs).toBe("basic");
  });
});

describe("corosync.conf typed summary", () => {
  it("gives links with priorities, transport, secauth, token and coefficient, two_node and wait_for_all", () => {
    expect(parseCorosyncConf(fixture("corosync-conf-two-node-link-priorities.txt")).summary).toEqual({
      transport: "knet",
      secauth: "on",
      token: 3000,
      tokenCoefficient: 125,
      links: [
        { linknumber: 0, priority: 10 },
        { linknumber: 1, priority: 20 },
      ],
      quorumDevice: null,
      twoNode: 1,
      waitForAll: 1,
      expectedVotes: 2,
      quorum: 1,
    });
  });

  it("gives the quorum device and derives expected votes and quorum with its vote", () => {
    expect(parseCorosyncConf(fixture("corosync-conf-hand-edited-qdevice.txt")).summary).toMatchObject({
      quorumDevice: { model: "net", votes: 1, host: "192.168.51.10", algorithm: "ffsplit", tls: "on" },
      twoNode: 0,
      waitForAll: 0,
      expectedVotes: 3,
      quorum: 2,
    });
  });

  it("derives a plain PVE cluster's quorum from its node votes", () => {
    const s = parseCorosyncConf(fixture("corosync-conf-pve-written.txt")).summary;
    expect(s?.quorum).toBe(Math.floor((s?.expectedVotes ?? 0) / 2) + 1);
    expect(s?.token).toBeNull();
  });
});

describe("task end status in /var/log/pve/tasks/active", () => {
  it("gives each task its log path and its end status classified", () => {
    const tasks = parseTasksActive(fixture("tasks-active-stale-entries.txt"));
    expect(tasks.map((t) => [t.outcome, t.warningCount, t.error])).toEqual([
      ["running", null, null],
      ["running", null, null],
      ["ok", null, null],
      ["warnings", 1, null],
      ["error", null, "unexpected status"],
      ["error", null, "can't lock file '/var/lock/qemu-server/lock-103.conf' - got timeout"],
      ["running", null, null],
    ]);
    expect(tasks[2]?.logPath).toBe(
      "/var/log/pve/tasks/0/UPID:pve1:00000C35:000186A0:69B19F00:vzdump:101:root@pam:",
    );
  });
});
