/**
 * A plan in every format: text to review in a terminal, Markdown for a ticket, JSON to save.
 * Text legend: `+` safe (runs without asking), `~` guarded (asks yes/no),
 * `!` dangerous (asks for the node name); `! ` lines before the steps are warnings.
 */
import { FROM_REPORT_NOTE, type Plan } from "../engine/model.js";
import { redactDeep } from "../engine/redact.js";
import { type OutputFormat, toJson, type ViewMap, type ViewOptions } from "./format.js";
import { planMarkdown } from "./plan-md.js";
import { planText } from "./plan-text.js";

const views: ViewMap<Plan> = {
  text: planText,
  md: (plan, opts) => planMarkdown(plan, 0, opts.target),
  // The plan object is versioned (`formatVersion`), so it is the JSON contract as is.
  json: (plan) =>
    toJson({ kind: "plan", ...(plan.fromReport ? { note: FROM_REPORT_NOTE } : {}), plan: redactDeep(plan) }),
};

export function renderPlan(plan: Plan, format: OutputFormat, opts: ViewOptions): string {
  return views[format](plan, opts);
}
