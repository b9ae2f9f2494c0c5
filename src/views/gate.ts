/** What the operator reads at a gate: the warning first, then what will run, then the undo. */
import type { GateRequest } from "../engine/apply.js";
import { redactDeep } from "../engine/redact.js";
import { escapeDeep } from "./escape-terminal.js";
import type { ViewOptions } from "./format.js";
import { stepText } from "./plan-text.js";
import { indent, painter } from "./style.js";

export function renderGateText(request: GateRequest, opts: ViewOptions): string {
  const { warning, ...step } = escapeDeep(redactDeep(request.step));
  const p = painter(opts);
  const lines = [p("bold", `Step ${request.index + 1} of ${request.plan.steps.length} needs your approval:`)];
  if (warning) lines.push(indent(warning, "  ", p("yellow", "! ")));
  lines.push(stepText(step, request.index, p));
  return lines.join("\n");
}
