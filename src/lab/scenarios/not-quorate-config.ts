/**
 * A corosync.conf change needed while the cluster has no quorum: every node cut off (Path A:
 * `pvecm expected 1`), only one node cut off (the other two are quorate: split-brain risk), or
 * corosync dead everywhere after a broken config (Path B: `pmxcfs -l`).
 */
import { writeCorosyncConf } from "../model/corosync-conf.js";
import type { LabState } from "../state.js";
import { baseCluster, nodeOf, setCorosyncConf } from "./build/cluster.js";
import { addGuest, container, vm } from "./build/guests.js";
import { LOCAL_STORAGES, setStorages } from "./build/storage.js";
import type { Scenario } from "./types.js";

export function buildBase(scenario: string): LabState {
  const state = baseCluster({ scenario });
  setStorages(state, LOCAL_STORAGES);
  addGuest(state, vm(100, "pve1", "web01", "running"));
  addGuest(state, container(101, "pve2", "dns01", "running"));
  addGuest(state, vm(102, "pve3", "mail01", "stopped"));
  return state;
}

export function cutLinks(state: LabState, ...names: string[]): LabState {
  for (const name of names) nodeOf(state, name).clusterLink = false;
  state.membershipEpoch += 1;
  return state;
}

/**
 * Version 4 of the config: someone added a second link and lost the closing brace of its
 * `interface` block. pmxcfs synced it everywhere; corosync then failed to restart on every node.
 */
export function brokenCorosyncConf(state: LabState): string {
  const valid = state.pve["corosync.conf"] ?? "";
  return valid
    .replace("config_version: 3", "config_version: 4")
    .replace(/( {2}interface \{\n {4}linknumber: 0\n {2}\}\n)/, "$1  interface {\n    linknumber: 1\n")
    .replace(/( {4}ring0_addr: 10\.10\.10\.(\d)\n)/g, "$1    ring1_addr: 10.20.20.$2\n");
}

/**
 * What the operator prepared for the runbook's examples: a valid corosync.conf one version above the
 * cluster's, with a longer token (`--file corosync.conf.fixed`), and storage.cfg with one more
 * storage (`--file storage.cfg`).
 */
export function fixedFiles(state: LabState): Record<string, string> {
  const version = Number(/config_version: (\d+)/.exec(state.pve["corosync.conf"] ?? "")?.[1] ?? 0);
  const nodes = state.nodes.map(({ name, nodeid, ip }) => ({ name, nodeid, ip }));
  return {
    "corosync.conf.fixed": writeCorosyncConf({
      clusterName: state.clusterName,
      configVersion: version + 1,
      nodes,
    }).replace("  secauth: on\n", "  secauth: on\n  token: 5000\n"),
    "storage.cfg": `${state.pve["storage.cfg"] ?? ""}\ndir: backup2\n\tpath /srv/backup2\n\tcontent backup\n`,
  };
}

export const notQuorateConfigScenario: Scenario = {
  name: "not-quorate-config",
  description:
    "corosync links of all three nodes cut: each node alone, reachable over SSH, corosync running, none quorate",
  build: () => cutLinks(buildBase("not-quorate-config"), "pve1", "pve2", "pve3"),
  operatorFiles: fixedFiles,
};

export const notQuorateConfigSplitScenario: Scenario = {
  name: "not-quorate-config-split",
  description: "only pve1 cut off: pve2 and pve3 are quorate together, so forcing pve1 would split the brain",
  build: () => cutLinks(buildBase("not-quorate-config-split"), "pve1"),
  operatorFiles: fixedFiles,
};

/** Every node's corosync failed on a config with a missing brace (version 4). */
export function buildCorosyncDown(scenario: string): LabState {
  const state = buildBase(scenario);
  setCorosyncConf(state, brokenCorosyncConf(state));
  for (const node of state.nodes) {
    node.services.corosync = "failed";
    node.corosyncLoaded = null;
    node.procs = node.procs.filter((p) => p.unit !== "corosync");
  }
  state.membershipEpoch += 1;
  return state;
}

export const notQuorateConfigCorosyncDownScenario: Scenario = {
  name: "not-quorate-config-corosync-down",
  description:
    "a corosync.conf with a missing brace (version 4) reached every node: corosync failed everywhere, pve-cluster runs without quorum",
  build: () => buildCorosyncDown("not-quorate-config-corosync-down"),
  operatorFiles: fixedFiles,
};

export const corosyncStaleConfigScenario: Scenario = {
  name: "corosync-stale-config",
  description:
    "corosync.conf went to version 4 (token 5000) while pve1 was cut off; pve1 rejoined still running version 3 with the default token",
  build() {
    const state = buildBase("corosync-stale-config");
    const old = state.pve["corosync.conf"] ?? "";
    setCorosyncConf(
      state,
      old
        .replace("config_version: 3", "config_version: 4")
        .replace("  secauth: on\n", "  secauth: on\n  token: 5000\n"),
    );
    nodeOf(state, "pve1").corosyncLoaded = old;
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  notQuorateConfigScenario,
  notQuorateConfigSplitScenario,
  notQuorateConfigCorosyncDownScenario,
  corosyncStaleConfigScenario,
];
