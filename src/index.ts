/**
 * pvefix public API, the library's front door: runbooks; plan, run, apply a saved plan, undo a
 * run, diagnose; the journal; transports and inventories; the errors and their exit codes.
 * The CLI is one client of this API and reaches the engine, transports and inventories through it.
 */
import type { ThisNode } from "./pve/probes/this-node.js";
import { LocalTransport } from "./transport/local.js";
import { NodeTransport } from "./transport/node.js";
import type { SshTransport, SshTransportOptions } from "./transport/ssh/index.js";
import type { Transport } from "./transport/types.js";

export { runbookById, runbooks } from "../runbooks/index.js";
export { abandonRun, type RunProgress } from "./engine/abandon.js";
export type { ApplyResult, Gate, GateAnswer, GateRequest, StepReport } from "./engine/apply.js";
export {
  type DiagnoseOptions,
  type Diagnosis,
  type DiagnosisStatus,
  diagnose,
  diagnoseCluster,
  type HiddenBy,
} from "./engine/diagnose.js";
export { EngineError, InputError, type InputIssue } from "./engine/errors.js";
export { combineListeners, type EngineListener, EVENT_TYPES, type StreamEvent } from "./engine/events.js";
export {
  DIAGNOSIS_PRECEDENCE,
  diagnoseFleet,
  type FleetDiagnosis,
  type FleetEntry,
  type FleetMember,
  type FleetNotSwept,
  type FleetOptions,
  type FleetSwept,
  worstStatus,
} from "./engine/fleet.js";
export {
  type JournalEntry,
  listRuns,
  type RunSummary,
  readJournal,
  runsDir,
  scanRuns,
  summarizeRun,
  type UnreadableJournal,
} from "./engine/journal.js";
export { isStateDirFault, stateDirFault } from "./engine/lock.js";
export * from "./engine/model.js";
export { redact, redactDeep } from "./engine/redact.js";
export type { AnyRunbook, ProbeContext, Runbook, RunbookMeta, UndoContext } from "./engine/runbook.js";
export { defineRunbook } from "./engine/runbook.js";
export {
  applySavedPlan,
  type ClusterTarget,
  exitCodeFor,
  type LastUndoable,
  lastUndoableRun,
  loadSavedPlan,
  planOnly,
  planUndo,
  type RunResult,
  runRunbook,
  type UndoOptions,
  type UndoPlan,
  undoRun,
} from "./engine/session.js";
export type { FileDrift } from "./engine/undo-plan.js";
export { DIAGNOSE_EXIT, EXIT, type ExitCode, OUTCOME_EXIT } from "./errors/exit-codes.js";
export { isPvefixError, PvefixError } from "./errors/pvefix-error.js";
export { INVENTORY_FILE, inventoryFiles } from "./inventory/directory.js";
export {
  dumpInventory,
  InventoryError,
  type InventoryFormat,
  inventoryGroups,
  type LoadedInventory,
  loadInventory,
  loadInventoryFile,
  parseInventory,
  type ResolvedNode,
  resolveNode,
} from "./inventory/load.js";
export { Inventory } from "./inventory/schema.js";
export { type DiscoverOptions, discoverInventory } from "./pve/probes/discover.js";
export {
  discoverThisNode,
  isPveNode,
  PVE_KNOWN_HOSTS,
  pveRoot,
  type ThisNode,
  type ThisNodeOptions,
} from "./pve/probes/this-node.js";
export { TransportError } from "./transport/errors.js";
export { LocalTransport, type LocalTransportOptions } from "./transport/local.js";
export { NodeTransport, type NodeTransportOptions } from "./transport/node.js";
export type { CommandResult, Transport } from "./transport/types.js";
export type { SshTransport, SshTransportOptions };

/**
 * A transport over SSH (ssh2), loaded on first use: a program that never talks SSH (the lab, a
 * `pvefix list`) does not pay for loading it.
 * @example
 * const t = await openSshTransport({ inventory: loadInventory("cluster.yaml") });
 * const result = await t.exec("pve2", "pvecm status", { timeoutMs: 10_000 });
 * await t.close();
 */
export async function openSshTransport(options: SshTransportOptions): Promise<SshTransport> {
  const { SshTransport } = await import("./transport/ssh/index.js");
  return new SshTransport(options);
}

/**
 * The transport for a cluster found on the node pvefix runs on (discoverThisNode): that node
 * through the local transport, its peers over SSH with the inventory's keys and known_hosts.
 * @example
 * const found = discoverThisNode();
 * const t = await openThisNodeTransport(found);
 */
export async function openThisNodeTransport(
  found: ThisNode,
  options: Omit<SshTransportOptions, "inventory"> = {},
): Promise<Transport> {
  const peers = await openSshTransport({ ...options, inventory: found.inventory });
  if (found.localNode === null) return peers;
  return new NodeTransport({
    localNode: found.localNode,
    local: new LocalTransport({ nodeName: found.localNode }),
    peers,
  });
}
