/** One command on one lab node, as one atomic step on the persisted state (faults first, then the shell). */

import { TransportError } from "../transport/errors.js";
import { HANG } from "./commands/types.js";
import { takeFault } from "./faults.js";
import { runCommandLine } from "./shell/run.js";
import { updateLab } from "./store.js";

export interface LabExecOptions {
  stateDir: string;
  node: string;
  command: string;
  stdin?: string | Buffer;
}

export type LabExecResult = { stdout: string; stderr: string; exitCode: number } | "hang" | "drop";

/**
 * @throws TransportError PVEFIX_UNKNOWN_NODE for a node the lab does not have,
 *   PVEFIX_CONNECT_FAILED for a node that is down (SSH would not connect).
 */
export async function labExec(options: LabExecOptions): Promise<LabExecResult> {
  const stdin = options.stdin === undefined ? "" : options.stdin.toString();
  return updateLab(options.stateDir, (state): LabExecResult => {
    const node = state.nodes.find((n) => n.name === options.node);
    if (!node) {
      throw new TransportError(
        "PVEFIX_UNKNOWN_NODE",
        options.node,
        `The lab has no node '${options.node}' (nodes: ${state.nodes.map((n) => n.name).join(", ")})`,
      );
    }
    if (!node.up) {
      throw new TransportError(
        "PVEFIX_CONNECT_FAILED",
        node.name,
        `Cannot connect to lab node ${node.name}: the node is down`,
      );
    }
    state.clock += 1;
    const fault = takeFault(state, node.name, options.command);
    if (fault?.action === "fail") {
      const stderr = fault.stderr ?? "";
      return {
        stdout: "",
        stderr: stderr === "" || stderr.endsWith("\n") ? stderr : `${stderr}\n`,
        exitCode: fault.exitCode ?? 1,
      };
    }
    if (fault?.action === "hang") return HANG;
    if (fault?.action === "drop" && !fault.after) return "drop";
    const result = runCommandLine(state, node, options.command, stdin);
    if (fault?.action === "drop") return "drop";
    return result;
  });
}
