/**
 * A three-node cluster with two knet links (link 0 on vmbr1/eno2, 10.10.10.0/24; link 1 on
 * vmbr2/eno3, 10.10.11.0/24), broken one way per scenario: link 1 down on one node, an MTU
 * mismatch on one side, a firewall rule that drops corosync's UDP on link 0, and two "redundant"
 * links that share one bridge.
 */
import { writeCorosyncConf } from "../model/corosync-conf.js";
import type { LabLink, LabState } from "../state.js";
import { baseCluster, nodeOf, setCorosyncConf } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { linkLocal } from "./build/network.js";
import { LOCAL_STORAGES, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

const ring1 = (index: number) => `10.10.11.${index}`;

function ringLinks(index: number): LabLink[] {
  const mac = `3c:ec:ef:1a:${index.toString(16).padStart(2, "0")}:12`;
  return [
    {
      name: "eno3",
      type: "ether",
      master: "vmbr2",
      mac,
      mtu: 1500,
      addrs: [],
      altnames: ["enp2s0f0"],
      portVlan: null,
    },
    {
      name: "vmbr2",
      type: "bridge",
      master: null,
      mac,
      portVlan: null,
      mtu: 1500,
      addrs: [`${ring1(index)}/24`, linkLocal(mac)],
      altnames: [],
    },
  ];
}

/** The healthy two-link cluster every scenario here starts from. */
export function twoLinkCluster(scenario: string, options: { ring1OnVmbr1?: boolean } = {}): LabState {
  const state = baseCluster({ scenario });
  setStorages(state, LOCAL_STORAGES);
  addGuest(state, vm(100, "pve1", "web01", "running"));
  addGuest(state, container(101, "pve2", "dns01", "running"));
  state.nodes.forEach((node, i) => {
    if (options.ring1OnVmbr1) {
      const vmbr1 = node.links.find((l) => l.name === "vmbr1");
      vmbr1?.addrs.splice(1, 0, `${ring1(i + 1)}/24`);
    } else node.links.push(...ringLinks(i + 1));
  });
  setCorosyncConf(
    state,
    writeCorosyncConf({
      clusterName: state.clusterName,
      configVersion: 4,
      nodes: state.nodes.map((n, i) => ({ name: n.name, nodeid: n.nodeid, ip: n.ip, ring1: ring1(i + 1) })),
    }),
  );
  return state;
}

const link = (state: LabState, node: string, name: string): LabLink => {
  const found = nodeOf(state, node).links.find((l) => l.name === name);
  if (!found) throw new Error(`scenario bug: no ${name} on ${node}`);
  return found;
};

export const corosyncLinksScenario: Scenario = {
  name: "corosync-links",
  description:
    "two knet links; pve3's eno3 (under vmbr2, link 1) lost its carrier: link 1 is down on pve3, quorum holds over link 0",
  build() {
    const state = twoLinkCluster("corosync-links");
    link(state, "pve3", "eno3").state = "no-carrier";
    nodeOf(state, "pve3").downLinks = [1];
    return state;
  },
};

export const corosyncLinksMtuScenario: Scenario = {
  name: "corosync-links-mtu",
  description:
    "two knet links; vmbr2 and eno3 on pve3 have MTU 1400, the others 1500: full-size DF pings to pve3 on link 1 are lost",
  build() {
    const state = twoLinkCluster("corosync-links-mtu");
    link(state, "pve3", "eno3").mtu = 1400;
    link(state, "pve3", "vmbr2").mtu = 1400;
    return state;
  },
};

/** As `nft list ruleset` prints a table added by hand (tabs, `priority filter`). */
const DROP_LINK0 = `table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tiifname "vmbr1" udp dport 5405 drop
\t}
}
`;

export const corosyncLinksFirewallScenario: Scenario = {
  name: "corosync-links-firewall",
  description:
    "two knet links; an nft rule on pve2 drops UDP 5405 arriving on vmbr1: link 0 is down on pve2 (ping still works)",
  build() {
    const state = twoLinkCluster("corosync-links-firewall");
    const pve2 = nodeOf(state, "pve2");
    pve2.nftRuleset = DROP_LINK0;
    pve2.downLinks = [0];
    return state;
  },
};

export const corosyncLinksFakeRedundancyScenario: Scenario = {
  name: "corosync-links-fake-redundancy",
  description:
    "two knet links, but ring1_addr (10.10.11.x) is a second address on vmbr1: both links run over eno2",
  build() {
    return twoLinkCluster("corosync-links-fake-redundancy", { ring1OnVmbr1: true });
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  corosyncLinksScenario,
  corosyncLinksMtuScenario,
  corosyncLinksFirewallScenario,
  corosyncLinksFakeRedundancyScenario,
];
