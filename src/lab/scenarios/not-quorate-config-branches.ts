/**
 * not-quorate-config's other branches: the fix already in place, a target that lost power, a
 * pmxcfs already in local mode elsewhere, and a target whose quorum cannot be read.
 */

import { PMXCFS_PIDFILE, spawn } from "../model/processes.js";
import { stopUnit } from "../model/services.js";
import { nodeOf, powerOff } from "./build/cluster.js";
import { buildBase, buildCorosyncDown, cutLinks, fixedFiles } from "./not-quorate-config.js";
import type { Scenario } from "./types.js";

export const notQuorateConfigAlreadyFixedScenario: Scenario = {
  name: "not-quorate-config-already-fixed",
  description:
    "not-quorate-config, but the operator's files are what the cluster already has: there is nothing to write",
  build: () => cutLinks(buildBase("not-quorate-config-already-fixed"), "pve1", "pve2", "pve3"),
  operatorFiles: (state) => ({
    "corosync.conf.fixed": state.pve["corosync.conf"] ?? "",
    "storage.cfg": state.pve["storage.cfg"] ?? "",
  }),
};

export const notQuorateConfigNodeDownScenario: Scenario = {
  name: "not-quorate-config-node-down",
  description: "pve1 lost power; pve2 and pve3 are quorate: a file cannot be written on pve1",
  build() {
    const state = buildBase("not-quorate-config-node-down");
    powerOff(state, "pve1");
    return state;
  },
  operatorFiles: fixedFiles,
};

export const notQuorateConfigLocalModeScenario: Scenario = {
  name: "not-quorate-config-local-mode",
  description:
    "not-quorate-config-corosync-down, and someone already runs `pmxcfs -l` on pve2: a second local-mode writer would fork /etc/pve",
  build() {
    const state = buildCorosyncDown("not-quorate-config-local-mode");
    const pve2 = nodeOf(state, "pve2");
    stopUnit(state, pve2, "pve-cluster");
    const pmxcfs = spawn(state, pve2, "pmxcfs", { args: "/usr/bin/pmxcfs -l", rss: 48_116, cpuPermille: 1 });
    pve2.files[PMXCFS_PIDFILE] = `${pmxcfs.pid}\n`;
    pve2.pmxcfsLocalMode = true;
    return state;
  },
  operatorFiles: fixedFiles,
};

export const notQuorateConfigQuorumUnreadableScenario: Scenario = {
  name: "not-quorate-config-quorum-unreadable",
  description:
    "not-quorate-config, and pve1's corosync is active but does not answer its clients: `pvecm status` fails with `Cannot initialize CMAP service`",
  build() {
    const state = cutLinks(buildBase("not-quorate-config-quorum-unreadable"), "pve1", "pve2", "pve3");
    state.faults.push({
      id: "cmap",
      node: "pve1",
      match: "pvecm status",
      action: "fail",
      exitCode: 1,
      stderr: "Cannot initialize CMAP service\n",
      times: null,
    });
    return state;
  },
  operatorFiles: fixedFiles,
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  notQuorateConfigAlreadyFixedScenario,
  notQuorateConfigNodeDownScenario,
  notQuorateConfigLocalModeScenario,
  notQuorateConfigQuorumUnreadableScenario,
];
