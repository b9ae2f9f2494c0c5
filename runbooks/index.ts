/** The runbook registry: one file per runbook, listed here in the order `pvefix list` shows them. */
import { EngineError } from "../src/engine/errors.js";
import type { AnyRunbook } from "../src/engine/runbook.js";
import haReplicationMismatch from "./ha-replication-mismatch.js";
import hungNfs from "./hung-nfs.js";
import notQuorateConfig from "./not-quorate-config.js";
import restartPveServices from "./restart-pve-services.js";
import stuckLock from "./stuck-lock.js";
import twoNodeQdevice from "./two-node-qdevice.js";
import zerotierBlacklist from "./zerotier-blacklist.js";

export const runbooks: AnyRunbook[] = [
  stuckLock,
  hungNfs,
  zerotierBlacklist,
  haReplicationMismatch,
  notQuorateConfig,
  restartPveServices,
  twoNodeQdevice,
];

export function runbookById(id: string): AnyRunbook {
  const found = runbooks.find((r) => r.meta.id === id);
  if (!found) {
    throw new EngineError(
      "PVEFIX_UNKNOWN_RUNBOOK",
      `Unknown runbook \`${id}\`: expected one of ${runbooks.map((r) => r.meta.id).join(", ")}`,
      "run `pvefix list` to see every runbook",
    );
  }
  return found;
}
