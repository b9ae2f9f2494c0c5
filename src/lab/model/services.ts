/**
 * systemd units and their side effects on the simulated cluster: corosync membership, pmxcfs
 * mounting (syncing corosync.conf at start, a deadlock cleared only by a stop), a manual
 * `pmxcfs -l` blocking pve-cluster, corosync refusing a broken config and zerotier-one refusing
 * an invalid local.conf. Units with a main process get one, so `ps` and pid files tell the truth.
 */
import type { LabNode, LabState, UnitState } from "../state.js";
import { corosyncConfError } from "./corosync-check.js";
import { syncNode } from "./corosync-sync.js";
import { PMXCFS_PIDFILE, spawn } from "./processes.js";
import { COROSYNC_CONF } from "./quorum.js";
import { zerotierConfValid, zerotierLoops } from "./zerotier.js";

export const KNOWN_UNITS = [
  "pve-cluster",
  "corosync",
  "pvedaemon",
  "pveproxy",
  "spiceproxy",
  "pvestatd",
  "pve-firewall",
  "pvescheduler",
  "pve-ha-lrm",
  "pve-ha-crm",
  "watchdog-mux",
  "zerotier-one",
  "ssh",
  "cron",
] as const;

export { ZEROTIER_LOCAL_CONF } from "./zerotier.js";

/** Main processes `ps` shows for the units pvefix looks at (typical RSS in KiB, lifetime CPU in ‰). */
export const UNIT_PROCESSES: Record<
  string,
  { comm: string; args: string; rss: number; cpuPermille: number }
> = {
  "pve-cluster": { comm: "pmxcfs", args: "/usr/bin/pmxcfs", rss: 61_232, cpuPermille: 4 },
  corosync: { comm: "corosync", args: "/usr/sbin/corosync -f", rss: 186_744, cpuPermille: 9 },
  "zerotier-one": { comm: "zerotier-one", args: "/usr/sbin/zerotier-one", rss: 11_840, cpuPermille: 3 },
};

export function unitName(arg: string): string {
  return arg.replace(/\.service$/, "");
}

/** A unit is installed on the node when the scenario gave it a state (or it is a standard PVE unit). */
export function unitKnown(node: LabNode, unit: string): boolean {
  return (
    unit in node.services || ((KNOWN_UNITS as readonly string[]).includes(unit) && unit !== "zerotier-one")
  );
}

export function unitState(node: LabNode, unit: string): UnitState {
  return node.services[unit] ?? "inactive";
}

export function stopUnit(state: LabState, node: LabNode, unit: string): void {
  const wasActive = node.services[unit] === "active";
  node.services[unit] = "inactive";
  const main = node.procs.filter((p) => p.unit === unit).map((p) => p.pid);
  node.procs = node.procs.filter((p) => p.unit !== unit);
  if (unit === "corosync") node.corosyncLoaded = null;
  // corosync-qdevice.service Requires=corosync.service: stopping corosync stops it too.
  if (unit === "corosync" && node.services["corosync-qdevice"] === "active")
    node.services["corosync-qdevice"] = "inactive";
  if (unit === "corosync" && wasActive) {
    node.expectedVotesOverride = null;
    state.membershipEpoch += 1;
  }
  if (unit === "pve-cluster") {
    // systemd SIGKILLs a deadlocked pmxcfs after TimeoutStopSec=10: the hang ends with the process.
    node.pmxcfsHung = false;
    if (main.some((pid) => node.files[PMXCFS_PIDFILE]?.trim() === String(pid)))
      delete node.files[PMXCFS_PIDFILE];
  }
}

/** Returns false when the unit failed to start (systemctl then prints the "Job … failed" text). */
export function startUnit(state: LabState, node: LabNode, unit: string): boolean {
  if (node.services[unit] === "active") return true;
  if (unit === "corosync") {
    // ConditionPathExists=/etc/corosync/corosync.conf: a standalone node simply stays inactive.
    const conf = node.files[COROSYNC_CONF];
    if (conf === undefined) {
      node.services[unit] = "inactive";
      return true;
    }
    if (corosyncConfError(conf, node.name) !== null) {
      node.services[unit] = "failed";
      return false;
    }
    node.expectedVotesOverride = null;
    node.corosyncLoaded = conf;
    state.membershipEpoch += 1;
  }
  if (unit === "pve-cluster" && node.pmxcfsLocalMode) {
    node.services[unit] = "failed"; // "unable to acquire pmxcfs lock": the manual instance holds it
    return false;
  }
  if (unit === "zerotier-one") {
    if (!zerotierConfValid(node)) {
      node.services[unit] = "failed"; // "unable to parse local.conf (invalid JSON)", exit(1)
      return false;
    }
    if (node.zerotier) node.zerotier.looping = zerotierLoops(node);
  }
  node.services[unit] = "active";
  const main = UNIT_PROCESSES[unit];
  if (main) {
    const rss = unit === "zerotier-one" ? (node.zerotier?.baseRss ?? main.rss) : main.rss;
    const proc = spawn(state, node, main.comm, { ...main, rss, unit });
    if (unit === "pve-cluster") node.files[PMXCFS_PIDFILE] = `${proc.pid}\n`;
  }
  if (unit === "pve-cluster") syncNode(state, node);
  return true;
}
