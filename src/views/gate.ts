/** What the operator reads at a gate: the warning first, then what will run, then the undo. */
import type { GateRequest } from "../engine/apply.js";
import { redactDeep } from "../engine/redact.js";
import { UNDO_STEP_REASON } from "../engine/undo-plan.js";
import { escapeDeep } from "./escape-terminal.js";
import type { ViewOptions } from "./format.js";
import { stepText } from "./plan-text.js";
import { indent, painter } from "./style.js";

export function renderGateText(request: GateRequest, opts: ViewOptions): string {
  const { warning, ...step } = escapeDeep(redactDeep(request.step));
  const p = painter(opts);
  const lines = [p("bold", `Step ${request.index + 1} of ${request.plan.steps.length} needs your approval:`)];
  if (warning) lines.push(indent(warning, "  ", p("yellow", "! ")));
  // An undo step's own "undo" line would only repeat that it is an undo step: the gate says so already.
  const text = stepText(step, request.index, p).split("\n");
  lines.push(text.filter((l) => !l.includes(UNDO_STEP_REASON)).join("\n"));
  return lines.join("\n");
}
