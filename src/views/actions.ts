/** One line per action and per check, shared by the plan, run-result and journal views. */
import { structuredPatch } from "diff";
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

type WriteFile = Extract<Action, { kind: "write-file" }>;

/**
 * A file write as a unified diff against what the plan was made on (`--- path (current)` /
 * `+++ path (new)`, hunks with 3 lines of context), or the whole new content as added lines when
 * the plan does not carry the current one. Every view shows a write this way: what is reviewed is
 * the change, not a byte count.
 */
export function writeDiff(action: WriteFile): string[] {
  const before = action.before;
  if (before === undefined) {
    return [
      `(this plan does not record the current content of ${action.path}: the whole new content follows)`,
      ...lines(action.content).map((line) => `+${line}`),
    ];
  }
  if (before.content === action.content) {
    const same = before.path === action.path ? "" : ` as ${before.path}`;
    return [`(unchanged: ${action.path} gets the same content${same})`];
  }
  const patch = structuredPatch(before.path, action.path, before.content ?? "", action.content, "", "", {
    context: 3,
  });
  const head = [
    `--- ${before.path} ${before.content === null ? "(does not exist)" : "(current)"}`,
    `+++ ${action.path} (new)`,
  ];
  return [
    ...head,
    ...patch.hunks.flatMap((h) => [
      `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
      ...h.lines,
    ]),
  ];
}

function lines(text: string): string[] {
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all;
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
