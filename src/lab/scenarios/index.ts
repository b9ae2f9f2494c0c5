/** The scenario registry. Adding a scenario = one module + one line here. */
import { LabError } from "../errors.js";
import { defaultScenario } from "./default.js";
import {
  haReplicationMismatchRulesScenario,
  haReplicationMismatchScenario,
  haReplicationRecoveryScenario,
} from "./ha-replication.js";
import { hungNfsScenario } from "./hung-nfs.js";
import {
  corosyncStaleConfigScenario,
  notQuorateConfigCorosyncDownScenario,
  notQuorateConfigScenario,
  notQuorateConfigSplitScenario,
} from "./not-quorate-config.js";
import {
  corosyncStoppedScenario,
  restartPveServicesDegradedScenario,
  restartPveServicesHaScenario,
  restartPveServicesScenario,
} from "./restart-pve-services.js";
import { stuckLockScenario } from "./stuck-lock.js";
import { stuckLockNoQuorumScenario } from "./stuck-lock-no-quorum.js";
import type { Scenario } from "./types.js";
import {
  zerotierBlacklistExistingScenario,
  zerotierBlacklistHeartbeatScenario,
  zerotierBlacklistScenario,
} from "./zerotier-blacklist.js";

export const scenarios: readonly Scenario[] = [
  defaultScenario,
  stuckLockScenario,
  stuckLockNoQuorumScenario,
  hungNfsScenario,
  restartPveServicesScenario,
  restartPveServicesHaScenario,
  restartPveServicesDegradedScenario,
  corosyncStoppedScenario,
  notQuorateConfigScenario,
  notQuorateConfigSplitScenario,
  notQuorateConfigCorosyncDownScenario,
  corosyncStaleConfigScenario,
  haReplicationMismatchScenario,
  haReplicationMismatchRulesScenario,
  haReplicationRecoveryScenario,
  zerotierBlacklistScenario,
  zerotierBlacklistExistingScenario,
  zerotierBlacklistHeartbeatScenario,
];

export function findScenario(name: string): Scenario {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) {
    throw new LabError(
      "PVEFIX_LAB_UNKNOWN_SCENARIO",
      `Unknown lab scenario '${name}'; choose one of: ${scenarios.map((s) => s.name).join(", ")}`,
    );
  }
  return scenario;
}

export function listScenarios(): Array<{ name: string; description: string }> {
  return scenarios.map(({ name, description }) => ({ name, description }));
}

export type { Scenario };
