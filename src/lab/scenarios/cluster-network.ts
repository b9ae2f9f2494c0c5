/**
 * A 3-node cluster whose corosync runs on link 0 (vmbr1, 10.10.10.0/24) only, and whose nodes have a
 * spare port `eno3` on a separate network (10.10.11.0/24) for a second link or a move: the plan, and
 * one scenario per refusal a cluster state can cause.
 */
import { writeCorosyncConf } from "../model/corosync-conf.js";
import type { LabLink, LabState } from "../state.js";
import { baseCluster, nodeOf, setCorosyncConf } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { linkLocal } from "./build/network.js";
import { LOCAL_STORAGES, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

export const RING1 = (i: number) => `10.10.11.${i}`;

function spareLink(index: number): LabLink {
  const mac = `3c:ec:ef:1a:${index.toString(16).padStart(2, "0")}:12`;
  return {
    name: "eno3",
    type: "ether",
    master: null,
    mac,
    mtu: 1500,
    addrs: [`${RING1(index)}/24`, linkLocal(mac)],
    altnames: ["enp1s0f2"],
    portVlan: null,
  };
}

function build(scenario: string, change: (state: LabState) => void = () => {}): LabState {
  const state = baseCluster({ scenario });
  setStorages(state, LOCAL_STORAGES);
  addGuest(state, vm(100, "pve1", "web01", "running"));
  addGuest(state, container(101, "pve2", "dns01", "running"));
  state.nodes.forEach((node, i) => {
    node.links.push(spareLink(i + 1));
  });
  change(state);
  return state;
}

const eno3 = (state: LabState, node: string) => nodeOf(state, node).links.find((l) => l.name === "eno3")!;

export const clusterNetworkScenario: Scenario = {
  name: "cluster-network",
  description:
    "corosync on link 0 (10.10.10.0/24) only; every node has eno3 on 10.10.11.0/24, unused: add it as link 1, or move corosync there",
  build: () => build("cluster-network"),
};

export const clusterNetworkUnreachableScenario: Scenario = {
  name: "cluster-network-unreachable",
  description:
    "pve3's eno3 is plugged into a switch port of another VLAN: carrier up, but pve3 reaches nobody on 10.10.11.0/24",
  build: () =>
    build("cluster-network-unreachable", (state) => {
      eno3(state, "pve3").portVlan = 20;
    }),
};

export const clusterNetworkMtuScenario: Scenario = {
  name: "cluster-network-mtu",
  description:
    "pve2's eno3 has MTU 9000, the others 1500: pve2's full-size packets on 10.10.11.0/24 never arrive",
  build: () =>
    build("cluster-network-mtu", (state) => {
      eno3(state, "pve2").mtu = 9000;
    }),
};

export const clusterNetworkNoCarrierScenario: Scenario = {
  name: "cluster-network-no-carrier",
  description:
    "pve2's eno3 has no carrier (cable out): its 10.10.11.2 is configured but the interface is down",
  build: () =>
    build("cluster-network-no-carrier", (state) => {
      eno3(state, "pve2").state = "no-carrier";
    }),
};

export const clusterNetworkNotQuorateScenario: Scenario = {
  name: "cluster-network-not-quorate",
  description: "pve3's link 0 is cut: pve3 is alone and not quorate, pve1 and pve2 are quorate without it",
  build: () =>
    build("cluster-network-not-quorate", (state) => {
      nodeOf(state, "pve3").clusterLink = false;
      state.membershipEpoch += 1;
    }),
};

export const clusterNetworkDoneScenario: Scenario = {
  name: "cluster-network-done",
  description:
    "link 1 on 10.10.11.0/24 already runs beside link 0 (config_version 4): adding it again is nothing to do",
  build: () =>
    build("cluster-network-done", (state) => {
      const nodes = state.nodes.map((n, i) => ({
        name: n.name,
        nodeid: n.nodeid,
        ip: n.ip,
        ring1: RING1(i + 1),
      }));
      setCorosyncConf(state, writeCorosyncConf({ clusterName: state.clusterName, configVersion: 4, nodes }));
    }),
};

export const clusterNetworkOtherAddressesScenario: Scenario = {
  name: "cluster-network-other-addresses",
  description:
    "link 1 already runs on 10.10.12.0/24 (config_version 4): adding it on 10.10.11.0/24 conflicts with what corosync.conf says",
  build: () =>
    build("cluster-network-other-addresses", (state) => {
      const nodes = state.nodes.map((n, i) => ({
        name: n.name,
        nodeid: n.nodeid,
        ip: n.ip,
        ring1: `10.10.12.${i + 1}`,
      }));
      setCorosyncConf(state, writeCorosyncConf({ clusterName: state.clusterName, configVersion: 4, nodes }));
    }),
};

export const clusterNetworkNodeDownScenario: Scenario = {
  name: "cluster-network-node-down",
  description: "pve3 is powered off: SSH to it is refused, so its addresses and links cannot be checked",
  build: () =>
    build("cluster-network-node-down", (state) => {
      nodeOf(state, "pve3").up = false;
    }),
};

export const clusterNetworkSilentNodeScenario: Scenario = {
  name: "cluster-network-silent-node",
  description:
    "pve3 answers the membership check, then its SSH connection drops when asked for its addresses (`ip -j addr show`)",
  build: () =>
    build("cluster-network-silent-node", (state) => {
      state.faults.push({
        id: "silent",
        node: "pve3",
        match: "ip -j addr show",
        action: "drop",
        times: null,
      });
    }),
};

export const scenarios: readonly Scenario[] = [
  clusterNetworkScenario,
  clusterNetworkUnreachableScenario,
  clusterNetworkMtuScenario,
  clusterNetworkNoCarrierScenario,
  clusterNetworkNotQuorateScenario,
  clusterNetworkDoneScenario,
  clusterNetworkOtherAddressesScenario,
  clusterNetworkNodeDownScenario,
  clusterNetworkSilentNodeScenario,
];
