/**
 * Codes the engine returns for every runbook (it builds their words itself, in src/engine): listed
 * here so a runbook may declare them and the docs can name them. A runbook that raises one of them
 * from its own guards uses the words below.
 */
import { entry, onNode } from "./entry.js";

export const engineRefusals = {
  "node-unreachable": entry<
    | { message: string; detail: string; node?: string }
    | {
        case: "mount-unchecked";
        storage: string;
        unreachable: ReadonlyArray<{ node: string; reason: string }>;
        /** Where it was checked: `on pve2`, `on any node that answered`. */
        where: string;
        /** `node: liveness` of the nodes that answered. */
        states: readonly string[];
      }
  >("a node the plan needs does not answer", (d) =>
    "case" in d
      ? {
          message: `Cannot tell whether ${d.storage} hangs on ${d.unreachable.map((u) => u.node).join(", ")}: not answering`,
          detail: `${d.unreachable.map((u) => `${u.node} (${u.reason})`).join("; ")}. It does not hang ${d.where} (${d.states.join(", ") || "none"}).`,
          ...onNode(d.unreachable[0]?.node),
        }
      : { message: d.message, detail: d.detail, ...onNode(d.node) },
  ),
  "probe-failed": entry<{ message: string; detail: string; node?: string }>(
    "a probe could not read what the plan needs",
    ({ message, detail, node }) => ({ message, detail, ...onNode(node) }),
  ),
  "stale-plan": entry<never>("a saved plan was made for another cluster state (apply)", () => ({
    message: "",
  })),
  "plan-mismatch": entry<never>("a saved plan differs from the plan made now (apply)", () => ({
    message: "",
  })),
  "file-changed": entry<never>("a file changed since the run being undone (undo)", () => ({ message: "" })),
};
