/**
 * Layouts added for issue 11. Sources per fixture:
 * - corosync-qdevice-tool-s.txt / -sv-connect-failed.txt / -not-running.txt: corosync/corosync-qdevice
 *   qdevices/qdevice-ipc-cmd.c, qdevice-net-ipc-cmd.c, man/corosync-qdevice-tool.8 (facts §1.5).
 * - corosync-cfgtool-n-link1-down.txt: corosync/corosync tools/corosync-cfgtool.c `nodestatusget_do`
 *   with ACTION_NODESTATUS_GET (facts §2.1 `-n`).
 * - pvesr-list-jobs.txt: proxmox/pve-manager PVE/CLI/pvesr.pm `list` (`%-20s %-20s %10s %5s %8s`, §7.2).
 * - replication-log-*.txt: proxmox/pve-guest-common src/PVE/Replication.pm `run_replication` log lines.
 * - cluster-log-json.txt: proxmox/pve-manager PVE/API2/Cluster.pm `log` (pmxcfs clusterlog entries).
 * - systemctl-is-active-with-command.txt: systemd src/systemctl/systemctl-is-active.c (facts §9).
 * - pve-journal-pvestatd-cfs-lock.txt: pve-manager PVE/Service/pvestatd.pm, pve-storage (facts §8.2),
 *   pve-cluster PVE/Cluster.pm cfs-lock texts of PVE 5.2–6.1, 6.2–6.4 and 7+ (facts §5.5).
 * - task-log-*.txt: pve-common PVE/RESTEnvironment.pm task end lines (facts §5.3).
 * - corosync-journal-failover.txt: corosync exec/main.c, kronosnet libknet host.c / threads_pmtud.c,
 *   exec/totemsrp.c, exec/vsf_quorum.c, pve-cluster pmxcfs dcdb.c, pve-ha-manager Manager.pm,
 *   watchdog-mux.c (facts §6.5, §9, §11).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseClusterLog } from "../../../src/pve/parsers/cluster-log.js";
import { parseCfgtoolNodes } from "../../../src/pve/parsers/corosync-cfgtool-nodes.js";
import { corosyncLogFormat } from "../../../src/pve/parsers/corosync-log.js";
import { parseQdeviceTool } from "../../../src/pve/parsers/corosync-qdevice-tool.js";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parsePveJournal } from "../../../src/pve/parsers/pve-journal.js";
import { readPvesrList } from "../../../src/pve/parsers/pvesr-list.js";
import { parseReplicationLog } from "../../../src/pve/parsers/replication-log.js";
import { readSystemctlIsActive } from "../../../src/pve/parsers/systemctl-is-active.js";
import { parseTaskLog } from "../../../src/pve/parsers/task-log.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("corosync-qdevice-tool", () => {
  it("reads -s: model, node lists, QNetd host, algorithm and a connected state", () => {
    expect(parseQdeviceTool(fixture("corosync-qdevice-tool-s.txt"))).toMatchObject({
      state: "running",
      model: "Net",
      nodeId: 1,
      configuredNodes: [1, 2],
      membershipNodes: [1, 2],
      clusterName: "prod-cl01",
      qnetdHost: "10.20.10.10:5403",
      algorithm: "Fifty-Fifty split",
      tieBreaker: "Node with lowest node ID",
      connectionState: "Connected",
      connected: true,
    });
  });

  it("reads -sv: quorum node states, last poll vote and a failed connection", () => {
    const s = parseQdeviceTool(fixture("corosync-qdevice-tool-sv-connect-failed.txt"));
    expect(s).toMatchObject({
      connected: false,
      connectionState: "Connect failed",
      lastPollVote: "cast vote",
    });
    expect(s.quorumNodes).toEqual([
      { nodeId: 1, state: "dead" },
      { nodeId: 2, state: "member" },
    ]);
    expect(s.fields.Quorate).toBe("No");
  });

  it("reads the daemon not running as a state", () => {
    expect(parseQdeviceTool(fixture("corosync-qdevice-tool-not-running.txt"))).toMatchObject({
      state: "not-running",
      connected: false,
    });
  });

  it("refuses text without its heading", () => {
    expect(() => parseQdeviceTool("Model: Net\n")).toThrow(ParseError);
  });
});

describe("corosync-cfgtool -n", () => {
  it("reads each reachable node's on-wire versions and per-link state and MTU", () => {
    const r = parseCfgtoolNodes(fixture("corosync-cfgtool-n-link1-down.txt"));
    expect(r).toMatchObject({ state: "running", localNodeId: 1, transport: "knet" });
    expect(r.nodes.map((n) => n.nodeId)).toEqual([2, 3]);
    expect(r.nodes[0]?.onwire).toEqual({ min: 0, max: 1, current: 1 });
    expect(r.nodes[0]?.links[1]).toEqual({
      linkId: 1,
      transport: "udp",
      src: "10.20.20.1",
      dst: "10.20.20.2",
      enabled: true,
      connected: false,
      dynconnected: false,
      mtu: 469,
    });
  });

  it("reads corosync down as a state", () => {
    expect(parseCfgtoolNodes("Could not initialize corosync configuration API error 2\n").state).toBe(
      "corosync-down",
    );
  });
});

describe("pvesr list", () => {
  it("reads targets, a schedule with a space, rate and enabled", () => {
    expect(readPvesrList(fixture("pvesr-list-jobs.txt")).rows).toEqual([
      { jobId: "100-0", target: "pve2", schedule: "*/5", rate: 50, enabled: true },
      { jobId: "101-0", target: "pve3", schedule: "*/15", rate: null, enabled: false },
      { jobId: "102-0", target: "pve3", schedule: "mon..fri 02:00", rate: 10.5, enabled: true },
    ]);
  });
});

describe("replication job log", () => {
  it("reads a successful incremental run with its snapshots", () => {
    const r = parseReplicationLog(fixture("replication-log-100-0-ok.txt"));
    expect(r).toMatchObject({ jobId: "100-0", startedAt: "2026-03-11T14:00:01", status: "ok", error: null });
    expect(r.snapshots).toEqual(["__replicate_100-0_1773237601__", "__replicate_100-0_1773236701__"]);
  });

  it("reads the error of a failed run", () => {
    expect(parseReplicationLog(fixture("replication-log-102-0-error.txt"))).toMatchObject({
      status: "error",
      error: "No common base snapshot on volume(s) local-zfs:vm-102-disk-0",
    });
  });
});

describe("cluster log", () => {
  it("reads entries with an ISO time and marks errors by priority", () => {
    const log = parseClusterLog(fixture("cluster-log-json.txt"));
    expect(log.map((e) => [e.uid, e.node, e.tag, e.isError])).toEqual([
      [7, "pve1", "pvedaemon", false],
      [6, "pve1", "pvescheduler", true],
    ]);
    expect(log[0]?.at).toBe("2026-03-11T14:02:05Z");
  });

  it("accepts the API's data wrapper and refuses non-JSON", () => {
    expect(parseClusterLog(`{"data":${fixture("cluster-log-json.txt")}}`)).toHaveLength(2);
    expect(() => parseClusterLog("uid msg")).toThrow(ParseError);
  });
});

describe("systemctl is-active", () => {
  it("pairs states with the units on the pasted command line", () => {
    expect(readSystemctlIsActive(fixture("systemctl-is-active-with-command.txt")).units).toEqual({
      corosync: "active",
      "pve-cluster": "active",
      "pve-ha-lrm": "deactivating",
    });
  });

  it("pairs states with units given by --units, and refuses a count mismatch", () => {
    expect(readSystemctlIsActive("active\nfailed\n", ["a", "b"]).units).toEqual({ a: "active", b: "failed" });
    expect(() => readSystemctlIsActive("active\n", ["a", "b"])).toThrow(ParseError);
  });
});

describe("pvestatd and cfs-lock journal", () => {
  it("reads storage and all three cfs-lock error texts, skipping other lines", () => {
    const events = parsePveJournal(fixture("pve-journal-pvestatd-cfs-lock.txt"));
    expect(events.map((e) => e.kind)).toEqual([
      "storage-not-online",
      "storage-unreachable",
      "status-update-slow",
      "cfs-lock-waiting",
      "cfs-lock-error",
      "cfs-lock-error",
      "cfs-lock-error",
    ]);
    expect(events[4]).toMatchObject({ lock: "file-replication_cfg", reason: "got lock request timeout" });
    expect(events[6]).toMatchObject({ lock: "storage-ceph01", process: "pvedaemon", pid: 1812 });
  });

  it("reads bare stderr lines (no journal prefix) too", () => {
    expect(parsePveJournal(fixture("pvesm-status-stderr-hung-nfs.txt")).map((e) => e.kind)).toContain(
      "storage-not-online",
    );
  });

  it("says so when it recognises nothing", () => {
    expect(() => parsePveJournal("hello\nworld\n")).toThrow(/none of 2 lines/);
  });
});

describe("task log end status", () => {
  it("classifies OK, WARNINGS: n and the error text", () => {
    expect(parseTaskLog(fixture("task-log-ok.txt"))).toMatchObject({ status: "ok", warningCount: null });
    expect(parseTaskLog(fixture("task-log-warnings.txt"))).toMatchObject({
      status: "warnings",
      warningCount: 1,
      warnings: ["unable to connect to guest agent"],
    });
    expect(parseTaskLog(fixture("task-log-error.txt"))).toMatchObject({
      status: "error",
      error: "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout",
    });
  });

  it("reads a log without end line as still running", () => {
    expect(parseTaskLog("INFO: starting new backup job\n").status).toBe("running");
  });
});

describe("corosync journal values", () => {
  const events = corosyncLogFormat.parse(fixture("corosync-journal-failover.txt"));
  const of = (kind: string) => events.filter((e) => e.kind === kind);

  it("reads the startup version, best link and MTU changes", () => {
    expect(of("corosync-start")[0]).toMatchObject({ version: "3.1.7" });
    expect(of("best-link")[0]).toMatchObject({ host: 3, mode: "passive", link: 1, priority: 1 });
    expect(of("mtu-change")[0]).toMatchObject({ host: 3, link: 1, from: 469, to: 1397 });
    expect(of("global-mtu")[0]).toMatchObject({ mtu: 1397 });
  });

  it("reads failed: lists, sync and quorum member lists", () => {
    expect(of("leave-failed")[0]).toMatchObject({ nodes: [3] });
    expect(of("quorum-members")[0]).toMatchObject({ members: [1, 2] });
    expect(of("sync").map((e) => ("what" in e ? e.what : ""))).toEqual(["members", "left"]);
  });

  it("reads pmxcfs members and resync, HA transitions and the watchdog expiry", () => {
    expect(of("pmxcfs-members")[0]).toMatchObject({
      members: [
        { nodeId: 1, pid: 1050 },
        { nodeId: 2, pid: 1123 },
      ],
    });
    expect(of("pmxcfs-resync")).toHaveLength(2);
    expect(of("ha-node-state")[0]).toMatchObject({ node: "pve3", from: "online", to: "unknown" });
    expect(of("ha-service-state")[1]).toMatchObject({
      sid: "vm:100",
      from: "recovery",
      to: "started",
      node: "pve1",
    });
    expect(of("watchdog-expired")[0]).toMatchObject({ process: "watchdog-mux", clientPid: null });
  });

  it("says so when nothing is recognised instead of answering []", () => {
    expect(() => corosyncLogFormat.parse("just some text\n")).toThrow(/no corosync.*recognised in 1 line/);
  });
});
