/** One line per action and per check, shared by the plan, run-result and journal views. */
import type { Action, Check, Step } from "../engine/model.js";
import { duration } from "./style.js";

/** `$ pct unlock 100`, `write /etc/pve/corosync.conf (812 bytes)`, `restore …`. */
export function actionLine(action: Action): string {
  switch (action.kind) {
    case "exec":
      return `$ ${action.command}${okCodes(action)}`;
    case "write-file":
      return `write ${action.path} (${byteLength(action.content)} bytes${action.mode ? `, mode ${action.mode}` : ""})`;
    case "restore-file":
      return `restore ${action.path} from this run's backup`;
  }
}

/** The same action as a line of an `sh` block: non-commands become comments. */
export function actionShellLine(action: Action): string {
  return action.kind === "exec" ? `${action.command}${okCodes(action)}` : `# ${actionLine(action)}`;
}

function okCodes(action: Extract<Action, { kind: "exec" }>): string {
  const codes = action.okExitCodes;
  const skip = action.skipIf ? `  # skipped when \`${action.skipIf}\` succeeds` : "";
  if (!codes || (codes.length === 1 && codes[0] === 0)) return skip;
  return `  # ok exit codes: ${codes.join(", ")}${skip}`;
}

export function byteLength(content: string): number {
  return Buffer.byteLength(content, "utf8");
}

/** `CT 100 has no lock (on pve2, waits up to 30 s)`: the node only when it is not the step's. */
export function checkLine(check: Check, stepNode?: string): string {
  const extras = [
    ...(check.node !== stepNode ? [`on ${check.node}`] : []),
    ...(check.waitMs ? [`waits up to ${duration(check.waitMs)}`] : []),
  ];
  return extras.length > 0 ? `${check.description} (${extras.join(", ")})` : check.description;
}

/** What the gate asks before a step: nothing, yes/no, or the node name typed out. */
export function gateText(step: Pick<Step, "risk" | "node">): string {
  switch (step.risk) {
    case "safe":
      return "runs without asking";
    case "guarded":
      return "asks yes/no";
    case "dangerous":
      return `asks you to type ${step.node}`;
  }
}
