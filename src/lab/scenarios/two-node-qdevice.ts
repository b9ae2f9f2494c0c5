/**
 * Two-node clusters and their QDevice: two nodes without one (the plan), an odd node count, a
 * QDevice whose qnetd went away, a survivor forced with `pvecm expected 1`, `two_node` set by hand,
 * a third node half added, a QDevice that works (nothing to do), a qnetd host whose daemon is
 * stopped, and the peer powered off. The qnetd host `qnetd` (10.10.10.9) is not a cluster node;
 * pve1 and pve2 reach it as root over SSH.
 */
import { bumpVersion, QDEVICE_BIN, QDEVICE_CERT_STORE, QDEVICE_UNIT, withDevice } from "../model/qdevice.js";
import type { LabState } from "../state.js";
import { baseCluster, nodeOf, powerOff, setCorosyncConf } from "./build/cluster.js";
import { addGuest, vm } from "./build/guests.js";
import type { Scenario } from "./types.js";

export const QNETD_IP = "10.10.10.9";

function twoNodes(scenario: string, nodes = 2): LabState {
  const state = baseCluster({ scenario, nodes });
  for (const node of state.nodes) {
    node.services[QDEVICE_UNIT] = "inactive";
    node.files[QDEVICE_BIN] = "";
  }
  state.qnetd = {
    name: "qnetd",
    ip: QNETD_IP,
    up: true,
    service: "active",
    trusts: state.nodes.map((n) => n.name),
    clusters: [],
  };
  addGuest(state, vm(100, "pve1", "web01", "running"));
  addGuest(state, vm(101, "pve2", "db01", "running"));
  return state;
}

/** As `pvecm qdevice setup 10.10.10.9` leaves it: device in corosync.conf, certificates, daemons running. */
function withWorkingQdevice(state: LabState): LabState {
  setCorosyncConf(state, bumpVersion(withDevice(state.pve["corosync.conf"] ?? "", QNETD_IP, "ffsplit")));
  for (const node of state.nodes) {
    node.services[QDEVICE_UNIT] = "active";
    node.dirs.push(QDEVICE_CERT_STORE);
  }
  state.qnetd?.clusters.push(state.clusterName);
  state.membershipEpoch += 1;
  return state;
}

export const twoNodeQdeviceScenario: Scenario = {
  name: "two-node-qdevice",
  description:
    "two nodes without a QDevice (either one down costs quorum); a qnetd host at 10.10.10.9 is ready and trusts both nodes' root keys",
  build: () => twoNodes("two-node-qdevice"),
};

export const twoNodeQdeviceOddScenario: Scenario = {
  name: "two-node-qdevice-odd",
  description: "three nodes and a qnetd host: an odd count, so a QDevice would only add a way to lose quorum",
  build: () => twoNodes("two-node-qdevice-odd", 3),
};

export const twoNodeQdeviceQnetdDownScenario: Scenario = {
  name: "two-node-qdevice-qnetd-down",
  description:
    "a QDevice is configured but its qnetd host 10.10.10.9 is down: both nodes quorate only together, the tiebreaker is gone",
  build() {
    const state = withWorkingQdevice(twoNodes("two-node-qdevice-qnetd-down"));
    if (state.qnetd) state.qnetd.up = false;
    return state;
  },
};

export const twoNodeQdeviceForcedScenario: Scenario = {
  name: "two-node-qdevice-forced",
  description:
    "pve2 lost power and someone ran `pvecm expected 1` on pve1: quorate alone, a split brain if pve2 comes back cut off",
  build() {
    const state = twoNodes("two-node-qdevice-forced");
    powerOff(state, "pve2");
    nodeOf(state, "pve1").expectedVotesOverride = 1;
    return state;
  },
};

export const twoNodeQdeviceTwoNodeScenario: Scenario = {
  name: "two-node-qdevice-two-node",
  description:
    "`two_node: 1` and `wait_for_all: 1` written into corosync.conf by hand; corosync refuses them beside a QDevice",
  build() {
    const state = twoNodes("two-node-qdevice-two-node");
    const conf = (state.pve["corosync.conf"] ?? "").replace(
      "  provider: corosync_votequorum\n",
      "  provider: corosync_votequorum\n  two_node: 1\n  wait_for_all: 1\n",
    );
    setCorosyncConf(state, bumpVersion(conf));
    return state;
  },
};

export const twoNodeQdeviceJoiningScenario: Scenario = {
  name: "two-node-qdevice-joining",
  description:
    "`pvecm addnode pve3` already put a third node into corosync.conf; pve3 has not joined yet (no /etc/pve/nodes/pve3)",
  build() {
    const state = twoNodes("two-node-qdevice-joining");
    const conf = (state.pve["corosync.conf"] ?? "").replace(
      "}\n\nquorum {",
      "  node {\n    name: pve3\n    nodeid: 3\n    quorum_votes: 1\n    ring0_addr: 10.10.10.3\n  }\n}\n\nquorum {",
    );
    setCorosyncConf(state, bumpVersion(conf));
    return state;
  },
};

export const twoNodeQdeviceWorkingScenario: Scenario = {
  name: "two-node-qdevice-working",
  description: "two nodes with a working QDevice: Flags: Quorate Qdevice, 3 expected votes, nothing to do",
  build: () => withWorkingQdevice(twoNodes("two-node-qdevice-working")),
};

export const twoNodeQdeviceQnetdStoppedScenario: Scenario = {
  name: "two-node-qdevice-qnetd-stopped",
  description:
    "two nodes without a QDevice; the qnetd host 10.10.10.9 answers SSH but corosync-qnetd is stopped there",
  build() {
    const state = twoNodes("two-node-qdevice-qnetd-stopped");
    if (state.qnetd) state.qnetd.service = "inactive";
    return state;
  },
};

export const twoNodeQdevicePeerDownScenario: Scenario = {
  name: "two-node-qdevice-peer-down",
  description:
    "two nodes without a QDevice; pve2 lost power (pve1 is not quorate alone): no setup can run, and none from pve2",
  build() {
    const state = twoNodes("two-node-qdevice-peer-down");
    powerOff(state, "pve2");
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  twoNodeQdeviceScenario,
  twoNodeQdeviceOddScenario,
  twoNodeQdeviceQnetdDownScenario,
  twoNodeQdeviceForcedScenario,
  twoNodeQdeviceTwoNodeScenario,
  twoNodeQdeviceJoiningScenario,
  twoNodeQdeviceWorkingScenario,
  twoNodeQdeviceQnetdStoppedScenario,
  twoNodeQdevicePeerDownScenario,
];
