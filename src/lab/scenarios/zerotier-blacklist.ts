/**
 * zerotier-one on a PVE node: its tap bridged into vmbr1 (the corosync network) makes it tunnel
 * over itself and grow until the OOM killer comes; variants with an existing local.conf to keep
 * and with a corosync link running over the ZeroTier network.
 */

import { writeCorosyncConf } from "../model/corosync-conf.js";
import type { LabState } from "../state.js";
import { baseCluster, setCorosyncConf } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { LOCAL_STORAGES, setStorages } from "./build/storage.js";
import { installZerotier } from "./build/zerotier.js";
import type { Scenario } from "./types.js";

/** Kept bytes: a custom port and a trusted path the blacklist merge must not lose. */
export const EXISTING_LOCAL_CONF = `{
  "physical": {
    "10.0.0.0/24": {
      "trustedPathId": 101
    }
  },
  "settings": {
    "primaryPort": 9994
  }
}
`;

export function buildBase(scenario: string): LabState {
  const state = baseCluster({ scenario });
  setStorages(state, LOCAL_STORAGES);
  addGuest(state, vm(100, "pve1", "web01", "running"));
  addGuest(state, container(101, "pve2", "dns01", "running"));
  return state;
}

export const zerotierBlacklistScenario: Scenario = {
  name: "zerotier-blacklist",
  description:
    "pve1: zerotier-one's tap is a port of vmbr1 (corosync 10.10.10.0/24); it loops and its RSS grows; no local.conf",
  build() {
    const state = buildBase("zerotier-blacklist");
    installZerotier(state, "pve1", { bridge: "vmbr1", ips: [], looping: true });
    return state;
  },
};

export const zerotierBlacklistExistingScenario: Scenario = {
  name: "zerotier-blacklist-existing",
  description:
    "zerotier-blacklist, but local.conf exists with settings.primaryPort and a physical trustedPathId entry that must survive",
  build() {
    const state = buildBase("zerotier-blacklist-existing");
    installZerotier(state, "pve1", {
      bridge: "vmbr1",
      ips: [],
      looping: true,
      localConf: EXISTING_LOCAL_CONF,
    });
    return state;
  },
};

export const zerotierBlacklistHeartbeatScenario: Scenario = {
  name: "zerotier-blacklist-heartbeat",
  description:
    "ZeroTier on all nodes (172.28.0.0/16) carries corosync link 1 (ring1_addr); no local.conf, no loop",
  build() {
    const state = buildBase("zerotier-blacklist-heartbeat");
    setCorosyncConf(
      state,
      writeCorosyncConf({
        clusterName: state.clusterName,
        configVersion: 4,
        nodes: state.nodes.map((n, i) => ({
          name: n.name,
          nodeid: n.nodeid,
          ip: n.ip,
          ring1: `172.28.0.${11 + i}`,
        })),
      }),
    );
    state.nodes.forEach((n, i) => {
      installZerotier(state, n.name, { bridge: null, ips: [`172.28.0.${11 + i}/16`], looping: false });
    });
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  zerotierBlacklistScenario,
  zerotierBlacklistExistingScenario,
  zerotierBlacklistHeartbeatScenario,
];
