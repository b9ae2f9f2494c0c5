/**
 * `parse --auto`: every fixture under test/fixtures with the format it must be detected as. The
 * table must list every file of the directory, so a new fixture cannot skip this check.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { detectFormat } from "../../../src/pve/parsers/detect.js";
import { parserFormats } from "../../../src/pve/parsers/index.js";

const dir = new URL("../../fixtures/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), "utf8");

// null: captures used by probes and runbook tests for which `pvefix parse` has no format
// (`ip -j route`, known_hosts, `pgrep -a`); --auto must say it recognises nothing there.
const EXPECTED: Array<[string, string | null]> = [
  ["cluster-log-json.txt", "cluster-log"],
  ["corosync-cfgtool-3.0.0.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-3.0.2.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-3.1.1.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-3.1.5-node-lost.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-3.1.5.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-3.1.5-2to1.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-corosync-down.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-n-link1-down.txt", "corosync-cfgtool-nodes"],
  ["corosync-cfgtool-rrp-faulty.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-udpu.txt", "corosync-cfgtool"],
  ["corosync-conf-hand-edited-qdevice.txt", "corosync-conf"],
  ["corosync-conf-missing-brace.txt", "corosync-conf"],
  ["corosync-conf-pve-written.txt", "corosync-conf"],
  ["corosync-conf-two-node-link-priorities.txt", "corosync-conf"],
  ["corosync-conf-ring1-zerotier.txt", "corosync-conf"],
  ["corosync-conf-wiki-ringnumber.txt", "corosync-conf"],
  ["corosync-journal-failover.txt", "corosync-log"],
  ["corosync-qdevice-tool-not-running.txt", "corosync-qdevice-tool"],
  ["corosync-qdevice-tool-s.txt", "corosync-qdevice-tool"],
  ["corosync-qdevice-tool-sv-connect-failed.txt", "corosync-qdevice-tool"],
  ["corosync-quorumtool-qdevice-no-vote.txt", "corosync-quorumtool"],
  ["corosync-quorumtool-quorate.txt", "corosync-quorumtool"],
  ["guest-config-ct-snapshot-lock.txt", "guest-config"],
  ["guest-config-vm-backup-lock.txt", "guest-config"],
  ["guest-config-vm-unlocked.txt", "guest-config"],
  ["ha-groups-cfg.txt", "ha-groups"],
  ["ha-manager-status-disarmed-static-crs.txt", "ha-manager-status"],
  ["ha-manager-status-fence.txt", "ha-manager-status"],
  ["ha-manager-status-lrm-active-pve2.txt", "ha-manager-status"],
  ["ha-manager-status-new.txt", "ha-manager-status"],
  ["ha-manager-status-no-quorum.txt", "ha-manager-status"],
  ["ha-manager-status-old.txt", "ha-manager-status"],
  // pmxcfs down: every PVE CLI prints these same lines, so only a named format can read them.
  ["ha-manager-status-pmxcfs-down.txt", null],
  ["ha-resources-cfg.txt", "ha-resources"],
  ["ha-rules-cfg.txt", "ha-rules"],
  ["ip-addr-pve-node.txt", "ip-addr"],
  ["ip-addr-zerotier-in-vmbr1.txt", "ip-addr"],
  ["ip-link-detailed-zerotier-bridge.txt", "ip-link"],
  ["ip-link-plain.txt", "ip-link"],
  ["ip-link-zerotier-in-vmbr1.txt", "ip-link"],
  ["ip-route-default-multipath.txt", null],
  ["ip-route-default-none.txt", null],
  ["ip-route-default-vmbr0.txt", null],
  ["known-hosts-mixed.txt", null],
  ["members-cluster.txt", "members"],
  ["members-no-ip.txt", "members"],
  ["members-standalone.txt", "members"],
  ["pct-list-blank-lock.txt", "pct-list"],
  ["pct-list-name-with-spaces-stderr.txt", "pct-list"],
  ["proc-mounts-nfs-stacked.txt", "proc-mounts"],
  ["proc-pid-stat-comm-with-paren.txt", "proc-pid-stat"],
  ["ps-locale-comma.txt", "ps"],
  ["ps-pmxcfs-local-mode.txt", null],
  ["ps-pmxcfs-service.txt", null],
  ["ps-zerotier-runaway-2s-later.txt", "ps"],
  ["ps-zerotier-runaway.txt", "ps"],
  ["pve-journal-pvestatd-cfs-lock.txt", "pve-journal"],
  ["pvecm-nodes-3node.txt", "pvecm-nodes"],
  // corosync down: pvecm status, pvecm nodes and corosync-quorumtool print only this same line.
  ["pvecm-nodes-corosync-down.txt", "pvecm-status"],
  ["pvecm-nodes-qdevice.txt", "pvecm-nodes"],
  ["pvecm-status-corosync-down-2to1.txt", "pvecm-status"],
  ["pvecm-status-corosync-down.txt", "pvecm-status"],
  ["pvecm-status-docs-tilde.txt", "pvecm-status"],
  ["pvecm-status-node1-lost.txt", "pvecm-status"],
  ["pvecm-status-not-quorate-corosync2.txt", "pvecm-status"],
  ["pvecm-status-not-quorate.txt", "pvecm-status"],
  ["pvecm-status-qdevice.txt", "pvecm-status"],
  ["pvecm-status-quorate.txt", "pvecm-status"],
  ["pvecm-status-two-of-three.txt", "pvecm-status"],
  ["pvereport-pve1.txt", "pvereport"],
  ["pvereport-pve9-corosync-down.txt", "pvereport"],
  ["pvesm-status-2to1-warnings.txt", "pvesm-status"],
  ["pvesm-status-pve8.txt", "pvesm-status"],
  ["pvesm-status-pve9-kib.txt", "pvesm-status"],
  ["pvesm-status-stderr-hung-nfs.txt", "pve-journal"],
  ["pvesr-list-jobs.txt", "pvesr-list"],
  ["pvesr-status-2to1-warnings.txt", "pvesr-status"],
  ["pvesr-status-multiline-error.txt", "pvesr-status"],
  ["pvesr-status-old-format.txt", "pvesr-status"],
  ["qm-list-2to1-warnings.txt", "qm-list"],
  ["qm-list-running.txt", "qm-list"],
  ["replication-cfg-jobs.txt", "replication-cfg"],
  ["replication-log-100-0-ok.txt", "replication-log"],
  ["replication-log-102-0-error.txt", "replication-log"],
  ["replication-log-100-0-no-common-base.txt", "replication-log"],
  ["storage-cfg-hand-edited.txt", "storage-cfg"],
  ["storage-cfg-pve-written.txt", "storage-cfg"],
  ["syslog-network-flap.txt", "corosync-log"],
  ["systemctl-is-active-mixed.txt", "systemctl-is-active"],
  ["systemctl-is-active-pve-services-hung.txt", "systemctl-is-active"],
  ["systemctl-is-active-with-command.txt", "systemctl-is-active"],
  ["task-log-error.txt", "task-log"],
  ["task-log-ok.txt", "task-log"],
  ["task-log-warnings.txt", "task-log"],
  ["tasks-active-stale-entries.txt", "tasks-active"],
  ["vmlist-cluster.txt", "vmlist"],
  ["vmlist-empty.txt", "vmlist"],
  ["zerotier-info-online.txt", "zerotier-info"],
  ["zerotier-info-service-down.txt", "zerotier-info"],
  ["zerotier-listnetworks-cluster.txt", "zerotier-listnetworks"],
  ["zerotier-listnetworks-mixed.txt", "zerotier-listnetworks"],
  ["zerotier-listnetworks-none.txt", "zerotier-listnetworks"],
  // Service down: `zerotier-cli info` and `listnetworks` print the same text.
  ["zerotier-listnetworks-service-down.txt", "zerotier-info"],
  ["corosync-cmapctl-get-3.1.7.txt", "corosync-cmapctl"],
  ["corosync-cmapctl-members-node-left-3.1.7.txt", "corosync-cmapctl"],
  ["corosync-cmapctl-totem-3.1.7.txt", "corosync-cmapctl"],
  ["corosync-cmapctl-totem-reloaded-3.1.7.txt", "corosync-cmapctl"],
  ["corosync-cmapctl-totem-stale-3.1.7.txt", "corosync-cmapctl"],
  // corosync-links captures (two-link netns bed); ping, nft, softnet_stat and the log file have no `parse` format.
  ["corosync-cfgtool-3.1.7-link1-node3-down.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-3.1.7-link1-down-local.txt", "corosync-cfgtool"],
  ["corosync-cfgtool-n-3.1.7-link1-down.txt", "corosync-cfgtool-nodes"],
  ["corosync-cmapctl-stats-knet-3.1.7.txt", "corosync-cmapctl"],
  ["corosync-logfile-3.1.7-link1-down.txt", null],
  ["ip-s-d-link-veth-down.txt", "ip-link"],
  ["ping-df-ok.txt", null],
  ["ping-df-lost.txt", null],
  ["ping-df-local-mtu.txt", null],
  ["ping-df-local-mtu.stderr.txt", null],
  ["ping-df-local-mtu-quiet.txt", null],
  ["ping-df-local-mtu-quiet.stderr.txt", null],
  ["nft-ruleset-corosync-drop.txt", null],
  ["softnet-stat-2cpu.txt", null],
  ["zerotier-local-conf-formatted.txt", "zerotier-local-conf"],
  ["zerotier-local-conf-seed.txt", "zerotier-local-conf"],
  ["zerotier-local-conf-trailing-comma.txt", "zerotier-local-conf"],
  // `zfs list -H -p` / `zpool list -H -p`: only the caller knows the -o fields, so no --auto.
  ["zfs-list-snapshots-hp.txt", null],
  ["zfs-list-volume-hp.txt", null],
  ["zpool-list-hp.txt", null],
];

// Recognised by their marks but broken on purpose: --auto names the format and reports its error.
const BROKEN = new Set(["corosync-conf-missing-brace.txt", "zerotier-local-conf-trailing-comma.txt"]);

describe("detectFormat over test/fixtures", () => {
  it("has an expected format for every fixture file", () => {
    // Subfolders (secrets/) hold inputs of other tests, not captured outputs.
    const files = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
    expect(EXPECTED.map(([name]) => name).sort()).toEqual(files);
  });

  it.each(EXPECTED)("%s → %s", (name, format) => {
    const detection = detectFormat(read(name), parserFormats);
    expect(detection.format).toBe(format);
    expect(detection.error !== null).toBe(BROKEN.has(name));
  });

  it("recognises nothing in empty input or prose", () => {
    expect(detectFormat("", parserFormats).format).toBeNull();
    expect(detectFormat("the cluster is down, please help\n", parserFormats).format).toBeNull();
  });
});
