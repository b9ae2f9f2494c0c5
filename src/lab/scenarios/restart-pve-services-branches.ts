/** restart-pve-services when the cluster has no quorum even with pve2: its return could not be verified. */
import { powerOff } from "./build/cluster.js";
import { buildRestartServices } from "./restart-pve-services.js";
import type { Scenario } from "./types.js";

export const restartPveServicesNoQuorumScenario: Scenario = {
  name: "restart-pve-services-no-quorum",
  description:
    "5 nodes, pve3, pve4 and pve5 powered off: pve1 and pve2 hold 2 of 5 votes, no quorum even with pve2",
  build() {
    const state = buildRestartServices("restart-pve-services-no-quorum", { haOnTarget: false, nodes: 5 });
    for (const node of ["pve3", "pve4", "pve5"]) powerOff(state, node);
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [restartPveServicesNoQuorumScenario];
