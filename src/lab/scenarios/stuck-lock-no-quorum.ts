/** stuck-lock, but pve1 lost its corosync link: its /etc/pve is read-only, so its guests cannot be unlocked there. */
import { nodeOf } from "./build/cluster.js";
import { buildStuckLock } from "./stuck-lock.js";
import type { Scenario } from "./types.js";

export const stuckLockNoQuorumScenario: Scenario = {
  name: "stuck-lock-no-quorum",
  description:
    "stuck-lock with pve1 cut off from the corosync network: pve1 is not quorate, pve2 and pve3 are",
  build() {
    const state = buildStuckLock("stuck-lock-no-quorum");
    nodeOf(state, "pve1").clusterLink = false;
    state.membershipEpoch += 1;
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [stuckLockNoQuorumScenario];
