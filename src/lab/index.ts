/**
 * Lab: a simulated Proxmox VE cluster whose state persists in `<stateDir>/lab/`, so separate
 * pvefix processes see the same cluster. It interprets exactly the commands pvefix uses and prints
 * what real Proxmox prints (proxmox-facts.md), and it can be served over real SSH on loopback.
 * It must never contact a real address, never touch the host outside its state directory, and
 * never pretend: an unknown command is `not found` (exit 127), never a silent success.
 */
export { LabError, type LabErrorCode } from "./errors.js";
export { type LabExecOptions, type LabExecResult, labExec } from "./exec.js";
export { addFault, clearFaults, FaultInput, listFaults } from "./faults.js";
export { labInventory } from "./inventory.js";
export { type ResetLabOptions, resetLab } from "./reset.js";
export { listScenarios, type Scenario } from "./scenarios/index.js";
export { type LabServer, type ServeLabOptions, serveLab } from "./serve/server.js";
export {
  Fault,
  GuestRuntime,
  LabLink,
  LabMount,
  LabNode,
  LabProc,
  LabState,
  LabZerotier,
  LabZerotierNetwork,
  ReplicationRun,
} from "./state.js";
export { labDir, labExists, loadLab, saveLab, updateLab } from "./store.js";
export { LabTransport, type LabTransportOptions } from "./transport.js";
