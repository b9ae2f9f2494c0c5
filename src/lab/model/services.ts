/**
 * systemd units and their side effects on the simulated cluster: corosync membership, pmxcfs
 * mounting (and syncing corosync.conf at start), a manual `pmxcfs -l` blocking pve-cluster,
 * and zerotier-one refusing an invalid local.conf.
 */
import type { LabNode, LabState, UnitState } from "../state.js";
import { syncNode } from "./corosync-sync.js";
import { COROSYNC_CONF } from "./quorum.js";

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

export const ZEROTIER_LOCAL_CONF = "/var/lib/zerotier-one/local.conf";

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
  if (unit === "corosync" && wasActive) {
    node.expectedVotesOverride = null;
    state.membershipEpoch += 1;
  }
}

/** Returns false when the unit failed to start (systemctl then prints the "Job … failed" text). */
export function startUnit(state: LabState, node: LabNode, unit: string): boolean {
  if (node.services[unit] === "active") return true;
  if (unit === "corosync") {
    // ConditionPathExists=/etc/corosync/corosync.conf: a standalone node simply stays inactive.
    if (node.files[COROSYNC_CONF] === undefined) {
      node.services[unit] = "inactive";
      return true;
    }
    node.expectedVotesOverride = null;
    state.membershipEpoch += 1;
  }
  if (unit === "pve-cluster") {
    if (node.pmxcfsLocalMode) {
      node.services[unit] = "failed"; // "unable to acquire pmxcfs lock": the manual instance holds it
      return false;
    }
    node.services[unit] = "active";
    syncNode(state, node);
    return true;
  }
  if (unit === "zerotier-one" && !zerotierConfValid(node)) {
    node.services[unit] = "failed";
    return false;
  }
  node.services[unit] = "active";
  return true;
}

function zerotierConfValid(node: LabNode): boolean {
  const text = node.files[ZEROTIER_LOCAL_CONF];
  if (text === undefined) return true;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
