/** The text rendering of a plan: what the operator reviews before anything runs. */
import { FROM_REPORT_NOTE, type Plan, type Step } from "../engine/model.js";
import { redactDeep } from "../engine/redact.js";
import { actionLine, checkLine, gateText, writeDiff } from "./actions.js";
import { onTarget, paramFlags, pvefixCommand, quotedOnTarget } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import type { ViewOptions } from "./format.js";
import { indent, type Paint, painter, RISK_COLOR, RISK_LEGEND, RISK_SYMBOL } from "./style.js";
import { keyValues } from "./table.js";

export function planText(input: Plan, opts: ViewOptions): string {
  const plan = escapeDeep(redactDeep(input));
  const p = painter(opts);
  const out: string[] = [`${p("bold", "Plan:")} ${p("bold", plan.summary)}`];
  if (plan.fromReport) out.push(p(["bold", "yellow"], `! ${fromReportLine(plan.fromReport)}`));
  const flags = paramFlags(plan.params).join(" ");
  const unattended = plan.unattended.eligible ? "eligible" : "not eligible";
  out.push(
    keyValues([
      ["runbook", plan.runbook],
      ["params", flags || "(none)"],
      ["cluster", plan.cluster],
      ["created", plan.createdAt],
      ["fingerprint", plan.fingerprint.slice(0, 12)],
      ["unattended", `${unattended}: ${plan.unattended.reason}`],
    ]),
  );

  if (plan.warnings.length > 0) {
    out.push("", p("bold", "Warnings:"));
    for (const warning of plan.warnings)
      out.push(indent(quotedOnTarget(warning, opts.target), "  ", p("yellow", "! ")));
  }

  out.push("", `${p("bold", "Steps")} ${p("dim", `(${RISK_LEGEND})`)}`);
  plan.steps.forEach((step, index) => {
    out.push("", stepText(step, index, p));
  });

  if (plan.postconditions.length > 0) {
    out.push("", p("bold", "Postconditions (checked after the last step):"));
    for (const check of plan.postconditions) out.push(indent(checkLine(check), "    ", "  - "));
  }

  out.push("", ...howToRun(plan, p, opts.target));
  return out.join("\n");
}

export function stepText(step: Step, index: number, p: Paint): string {
  const symbol = p(RISK_COLOR[step.risk], RISK_SYMBOL[step.risk]);
  const lines = [
    `${symbol} ${index + 1}. ${p("cyan", `[${step.node}]`)} ${p("bold", step.title)} ${p("dim", `(${step.risk}: ${gateText(step)})`)}`,
  ];
  const body = (text: string, first = "     ") => lines.push(indent(text, "       ", first));
  body(`why: ${step.reason}`);
  if (step.warning) lines.push(indent(step.warning, "       ", `     ${p("yellow", "! ")}`));
  for (const action of step.actions) {
    body(actionLine(action));
    if (action.kind === "write-file")
      lines.push(...writeDiff(action).map((l) => `         ${diffLine(l, p)}`));
  }
  if (step.files.length > 0) body(`backs up: ${step.files.join(", ")}`);
  if (step.undo.kind === "actions") {
    body(`undo: ${step.undo.description}`);
    for (const action of step.undo.actions) body(actionLine(action), "       ");
  } else if (step.undo.kind === "none") {
    body(`undo: nothing to undo — ${step.undo.reason}`);
  } else {
    body(`undo: none — irreversible: ${step.undo.reason}`);
    lines.push(`       ${p("red", "There is no undo.")}`);
  }
  for (const check of step.verify) body(`check: ${checkLine(check, step.node)}`);
  return lines.join("\n");
}

/** Unified-diff colors: removed red, added green, hunk headers cyan, notes dim. */
function diffLine(line: string, p: Paint): string {
  if (line.startsWith("+++ ") || line.startsWith("--- ")) return p("bold", line);
  if (line.startsWith("@@")) return p("cyan", line);
  if (line.startsWith("+")) return p("green", line);
  if (line.startsWith("-")) return p("red", line);
  return line.startsWith("(") || line.startsWith("\\") ? p("dim", line) : line;
}

function howToRun(plan: Plan, p: Paint, target = ""): string[] {
  const run = pvefixCommand("run", plan.runbook, plan.params);
  return [
    `${p("bold", "To run it")} (probes again and asks at each gate):`,
    `  ${onTarget(run, target)}`,
    ...(plan.unattended.eligible ? [`  ${onTarget(`${run} --unattended`, target)}`] : []),
    `${p("bold", "To apply exactly this plan later")} (refused if the cluster or the file changed meanwhile):`,
    `  ${pvefixCommand("plan", plan.runbook, plan.params, ["--save", "plan.json"], target)}`,
    `  ${onTarget("pvefix apply plan.json", target)}`,
  ];
}

/** "Made from a report (pve1 at …): re-plan against the cluster before applying". */
export function fromReportLine(from: NonNullable<Plan["fromReport"]>): string {
  const views = from.origins.map((o) => `${o.node}${o.time ? ` at ${o.time}` : ""}`).join("; ");
  return `${FROM_REPORT_NOTE[0]?.toUpperCase()}${FROM_REPORT_NOTE.slice(1)} (${views})`;
}
