/**
 * The classes of failure of issue 11, each on fixtures written from the real formats. Sources per
 * fixture (see also /work/shared/proxmox-facts.md):
 * - pct-list-name-with-spaces-stderr.txt: proxmox/pve-container src/PVE/CLI/pct.pm `list`
 *   (`%-10s %-10s %-12s %-20s`), one stderr line pasted in (`2>&1`).
 * - qm-list-2to1-warnings.txt: proxmox/qemu-server src/PVE/CLI/qm.pm `list`
 *   (`%10s %-20s %-10s %-10s %12.2f %-10s`), a pvestatd-style warning before it.
 * - pvesm-status-2to1-warnings.txt: proxmox/pve-storage src/PVE/CLI/pvesm.pm `status` (9.0.14+
 *   header) with the stderr of `storage_info` (facts §8.2) before and inside the table.
 * - pvesr-status-2to1-warnings.txt: proxmox/pve-manager PVE/CLI/pvesr.pm `status` with
 *   pve-cluster PVE/Cluster.pm cfs-lock messages (facts §5.5) mixed in.
 * - pvecm-status-corosync-down-2to1.txt: pve-cluster src/PVE/CLI/pvecm.pm `status` prints its
 *   Cluster information block, then corosync tools/corosync-quorumtool.c fails with
 *   `Cannot initialize CMAP service` (facts §1.1).
 * - zerotier-info-service-down.txt: zerotier/ZeroTierOne one.cpp (facts §10).
 * - corosync-cfgtool-corosync-down.txt, -3.1.5-2to1.txt: corosync tools/corosync-cfgtool.c (facts §2.1
 *   "If corosync is down"), a pmxcfs IPC error line pasted before the table.
 * - pvecm-nodes-corosync-down.txt: pvecm.pm `nodes` → corosync-quorumtool -l (facts §1.3, §1.1).
 * - zerotier-listnetworks-service-down.txt: ZeroTierOne one.cpp (facts §10).
 * - ha-manager-status-pmxcfs-down.txt: pve-cluster IPCC (`ipcc_send_rec[n] failed`) and
 *   PVE::RPCEnvironment `Unable to load access control list` when pmxcfs is not running.
 * - corosync-quorumtool-qdevice-no-vote.txt, pvecm-status-qdevice.txt: tools/corosync-quorumtool.c
 *   `display_nodes_data` Qdevice column and node-id-0 row (facts §1.2).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readCorosyncCfgtool } from "../../../src/pve/parsers/corosync-cfgtool.js";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { readHaManagerStatus } from "../../../src/pve/parsers/ha-manager-status.js";
import { parserFormats } from "../../../src/pve/parsers/index.js";
import { readPctList } from "../../../src/pve/parsers/pct-list.js";
import { readPvecmNodes } from "../../../src/pve/parsers/pvecm-nodes.js";
import { readPvecmStatus } from "../../../src/pve/parsers/pvecm-status.js";
import { readPvesmStatus } from "../../../src/pve/parsers/pvesm-status.js";
import { readPvesrStatus } from "../../../src/pve/parsers/pvesr-status.js";
import { readQmList } from "../../../src/pve/parsers/qm-list.js";
import { readZerotierInfo, readZerotierListNetworks } from "../../../src/pve/parsers/zerotier.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("columns by position from the header line", () => {
  const { rows, warnings } = readPctList(fixture("pct-list-name-with-spaces-stderr.txt"));

  it("reads a CT with no lock and a name with a space as lock null", () => {
    expect(rows[1]).toEqual({ vmid: 101, status: "stopped", lock: null, name: "mail gateway" });
  });

  it("reads a locked CT whose name has a space instead of refusing it", () => {
    expect(rows[2]).toEqual({ vmid: 102, status: "running", lock: "migrate", name: "file server" });
  });

  it("reads a lock that overflows its column followed by a spaced name", () => {
    expect(rows[3]).toEqual({ vmid: 103, status: "stopped", lock: "snapshot-delete", name: "db 01" });
  });

  it("keeps the pasted stderr line as a warning", () => {
    expect(warnings).toEqual(["unable to open file - No such file or directory"]);
  });

  it("reads a squeezed paste (padding lost) by known lock values", () => {
    const squeezed = readPctList(
      "VMID Status Lock Name\n101 stopped mail gateway\n102 running backup web 2\n",
    );
    expect(squeezed.rows).toEqual([
      { vmid: 101, status: "stopped", lock: null, name: "mail gateway" },
      { vmid: 102, status: "running", lock: "backup", name: "web 2" },
    ]);
  });

  it("reads qm list names with spaces and its warnings", () => {
    const qm = readQmList(fixture("qm-list-2to1-warnings.txt"));
    expect(qm.rows.map((r) => [r.vmid, r.name, r.status, r.pid])).toEqual([
      [100, "web", "running", 1234],
      [101, "mail gateway", "stopped", null],
    ]);
    expect(qm.warnings).toEqual(["storage 'tank' is not online"]);
  });
});

describe("stderr in the paste", () => {
  it("parses the pvesm table and returns the warnings before and inside it, classified", () => {
    const r = readPvesmStatus(fixture("pvesm-status-2to1-warnings.txt"));
    expect(r.rows.map((row) => [row.name, row.status])).toEqual([
      ["local", "active"],
      ["nfs-backup", "inactive"],
      ["nfs-iso", "inactive"],
    ]);
    expect(r.warnings).toHaveLength(3);
    expect(r.errors.map((e) => [e.storage, e.kind])).toEqual([
      ["nfs-backup", "not-online"],
      [null, "mount-error"],
      ["nfs-iso", "unreachable-path"],
    ]);
  });

  it("keeps cfs-lock lines out of a pvesr job's state", () => {
    const r = readPvesrStatus(fixture("pvesr-status-2to1-warnings.txt"));
    expect(r.rows.map((row) => [row.jobId, row.state, row.stateKind])).toEqual([
      ["100-0", "OK", "ok"],
      ["101-0", "SYNCING", "syncing"],
    ]);
    expect(r.warnings).toEqual([
      "trying to acquire cfs lock 'file-replication_cfg' ...",
      "cfs-lock 'file-replication_cfg' error: got lock request timeout",
    ]);
  });

  it("gives pvesr times as timestamps and pending as a flag", () => {
    const row = readPvesrStatus(fixture("pvesr-status-2to1-warnings.txt")).rows[1];
    expect(row).toMatchObject({ lastSyncAt: "2026-03-11T13:45:02", nextSyncAt: null, pending: true });
  });

  it("gives every table format a warnings field", () => {
    for (const name of [
      "pct-list",
      "qm-list",
      "pvesm-status",
      "pvesr-status",
      "pvesr-list",
      "pvecm-status",
    ]) {
      expect(parserFormats.find((f) => f.name === name)?.schema).toBeDefined();
    }
    const pvesm = parserFormats
      .find((f) => f.name === "pvesm-status")
      ?.parse(fixture("pvesm-status-pve8.txt"));
    expect(pvesm).toMatchObject({ warnings: [] });
  });
});

describe("the tool failing is an answer", () => {
  it("reads pvecm status with corosync down as quorum unknown, with the cluster block and the error", () => {
    const r = readPvecmStatus(fixture("pvecm-status-corosync-down-2to1.txt"));
    expect(r).toMatchObject({
      state: "corosync-down",
      quorumState: "unknown",
      error: "Cannot initialize CMAP service",
      cluster: { name: "prod-cl01", configVersion: 7 },
      quorum: null,
      members: [],
    });
  });

  it("reads the stdout-only capture (no error line) the same way", () => {
    const r = readPvecmStatus(fixture("pvecm-status-corosync-down.txt"));
    expect(r).toMatchObject({
      state: "corosync-down",
      quorumState: "unknown",
      cluster: { name: "prod-cl01" },
    });
  });

  it("keeps a running cluster's quorum as quorate / not-quorate", () => {
    expect(readPvecmStatus(fixture("pvecm-status-quorate.txt")).quorumState).toBe("quorate");
    expect(readPvecmStatus(fixture("pvecm-status-not-quorate.txt")).quorumState).toBe("not-quorate");
  });

  it("still refuses text that is no pvecm status at all", () => {
    expect(() => readPvecmStatus("hello\n")).toThrow(ParseError);
  });

  it("reads zerotier-cli info with the service down as a state", () => {
    expect(readZerotierInfo(fixture("zerotier-info-service-down.txt"))).toMatchObject({
      state: "service-unreachable",
      info: null,
      error: "Error connecting to the ZeroTier service: connection failed",
    });
    expect(readZerotierInfo(fixture("zerotier-info-online.txt")).state).toBe("running");
  });
});

describe("QDevice in the membership", () => {
  it("decodes the Qdevice flags and keeps configured and displayed votes apart", () => {
    const s = readPvecmStatus(fixture("corosync-quorumtool-qdevice-no-vote.txt"));
    expect(s.members[0]?.qdeviceFlags).toEqual({
      registered: true,
      alive: true,
      castsVote: false,
      masterWins: false,
    });
    expect(s.qdevice).toMatchObject({ nodeId: 0, name: "Qdevice", configuredVotes: 1, displayedVotes: 0 });
  });

  it("reads NA,NV,NMW as a dead device that casts no vote", () => {
    const text = fixture("pvecm-status-qdevice.txt").replace(/A,V,NMW/g, "NA,NV,NMW");
    expect(readPvecmStatus(text).members[0]?.qdeviceFlags).toEqual({
      registered: true,
      alive: false,
      castsVote: false,
      masterWins: false,
    });
  });
});

describe("the tool failing is an answer, in more formats", () => {
  it("reads corosync-cfgtool -s with corosync down as a state, and stderr around a table as warnings", () => {
    expect(readCorosyncCfgtool(fixture("corosync-cfgtool-corosync-down.txt"))).toMatchObject({
      state: "corosync-down",
      localNodeId: null,
      error: "Could not initialize corosync configuration API error 2",
    });
    const r = readCorosyncCfgtool(fixture("corosync-cfgtool-3.1.5-2to1.txt"));
    expect(r).toMatchObject({
      state: "running",
      localNodeId: 1,
      warnings: ["ipcc_send_rec[1] failed: Connection refused"],
    });
    expect(r.links[0]?.nodes.map((n) => n.status)).toEqual(["localhost", "connected"]);
  });

  it("reads pvecm nodes with corosync down as a state", () => {
    expect(readPvecmNodes(fixture("pvecm-nodes-corosync-down.txt"))).toMatchObject({
      state: "corosync-down",
      members: [],
      error: "Cannot initialize CMAP service",
    });
    const up = readPvecmNodes(fixture("pvecm-nodes-qdevice.txt"));
    expect(up.state).toBe("running");
    expect(up.qdevice).toMatchObject({ nodeId: 0, name: "Qdevice" });
  });

  it("reads zerotier-cli listnetworks with the service down as a state", () => {
    expect(readZerotierListNetworks(fixture("zerotier-listnetworks-service-down.txt"))).toMatchObject({
      state: "service-unreachable",
      networks: [],
    });
  });

  it("reads ha-manager status with pmxcfs down as unavailable, with the error", () => {
    expect(readHaManagerStatus(fixture("ha-manager-status-pmxcfs-down.txt"))).toMatchObject({
      state: "unavailable",
      error: "Unable to load access control list: Connection refused",
    });
    expect(readHaManagerStatus(fixture("ha-manager-status-new.txt")).state).toBe("running");
  });
});

describe("a format that recognises nothing says so", () => {
  const format = (name: string) => parserFormats.find((f) => f.name === name);

  it("refuses a corosync.conf without any corosync section", () => {
    expect(() => format("corosync-conf")?.parse("# just a comment\nfoo: bar\n")).toThrow(
      /not a corosync.conf/,
    );
  });

  it("refuses /proc/mounts lines whose mount point is not absolute", () => {
    expect(() => format("proc-mounts")?.parse("# just a comment\n")).toThrow(ParseError);
  });

  it("refuses systemctl is-active output without a state", () => {
    expect(() => format("systemctl-is-active")?.parse("$ systemctl is-active corosync\n")).toThrow(
      /no unit state/,
    );
  });
});
