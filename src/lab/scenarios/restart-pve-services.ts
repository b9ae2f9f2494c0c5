/**
 * pve2's pmxcfs deadlocked (every /etc/pve access hangs, pvecm status too) and pvestatd failed:
 * practise restarting the PVE services in the safe order. Variants add an armed HA watchdog and a
 * node that is already down.
 */
import { stopUnit } from "../model/services.js";
import type { LabState } from "../state.js";
import { baseCluster, nodeOf, powerOff } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { setHaResources } from "./build/ha.js";
import { LOCAL_STORAGES, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

export function buildRestartServices(
  scenario: string,
  options: { haOnTarget: boolean; nodes?: number },
): LabState {
  const state = baseCluster({ scenario, ...(options.nodes ? { nodes: options.nodes } : {}) });
  setStorages(state, LOCAL_STORAGES);
  addGuest(state, vm(100, "pve1", "web01", "running"));
  addGuest(state, container(101, "pve2", "dns01", "running"));
  addGuest(state, vm(102, "pve3", "mail01", "running"));
  const resources = [{ sid: "vm:100" }, { sid: "vm:102" }];
  if (options.haOnTarget) {
    addGuest(state, vm(300, "pve2", "app01", "running"));
    resources.push({ sid: "vm:300" });
  }
  setHaResources(state, ...resources);
  const pve2 = nodeOf(state, "pve2");
  pve2.pmxcfsHung = true;
  pve2.services.pvestatd = "failed";
  return state;
}

export const restartPveServicesScenario: Scenario = {
  name: "restart-pve-services",
  description:
    "pve2: pmxcfs hung (/etc/pve and pvecm status block) and pvestatd failed; no HA resources on pve2, so its LRM is idle",
  build: () => buildRestartServices("restart-pve-services", { haOnTarget: false }),
};

export const restartPveServicesHaScenario: Scenario = {
  name: "restart-pve-services-ha",
  description: "restart-pve-services, but HA runs vm:300 on pve2: its LRM is active and the watchdog armed",
  build: () => buildRestartServices("restart-pve-services-ha", { haOnTarget: true }),
};

export const restartPveServicesDegradedScenario: Scenario = {
  name: "restart-pve-services-degraded",
  description:
    "restart-pve-services with pve3 powered off: stopping corosync on pve2 would leave pve1 alone with 1 of 3 votes",
  build() {
    const state = buildRestartServices("restart-pve-services-degraded", { haOnTarget: false });
    powerOff(state, "pve3");
    return state;
  },
};

export const corosyncStoppedScenario: Scenario = {
  name: "corosync-stopped",
  description:
    "someone ran `systemctl stop corosync` on pve3: pve1 and pve2 stay quorate, pve3 is out of the cluster and its /etc/pve read-only",
  build() {
    const state = buildRestartServices("corosync-stopped", { haOnTarget: false });
    const pve2 = nodeOf(state, "pve2");
    pve2.pmxcfsHung = false;
    pve2.services.pvestatd = "active";
    stopUnit(state, nodeOf(state, "pve3"), "corosync");
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  restartPveServicesScenario,
  restartPveServicesHaScenario,
  restartPveServicesDegradedScenario,
  corosyncStoppedScenario,
];
