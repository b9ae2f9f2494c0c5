/** The result of `pvefix run`, `apply` and `undo`: what happened, what changed, what is left. */
import type { StepReport } from "../engine/apply.js";
import { redactDeep } from "../engine/redact.js";
import type { RunResult } from "../engine/session.js";
import { exitCodeFor } from "../errors/exit-codes.js";
import { onTarget, paramFlags, pvefixCommand, quotedOnTarget } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import { type OutputFormat, toJson, type ViewMap, type ViewOptions } from "./format.js";
import { OUTCOME_TEXT } from "./outcomes.js";
import { planMarkdown } from "./plan-md.js";
import { planText } from "./plan-text.js";
import { renderNothingToDo, renderRefusal } from "./refusal.js";
import { indent, type Paint, painter, STATUS_COLOR, STATUS_SYMBOL } from "./style.js";
import { mdCode, mdFence, mdList, mdTable, mdText } from "./table.js";
import { renderUndoPlan, undoPlanText } from "./undo-plan.js";

/** Steps whose change may still be on the cluster: for an undo, every step it did not put back. */
function leftInPlace(result: Pick<RunResult, "steps" | "undoOf">): StepReport[] {
  if (result.undoOf) return result.steps.filter((s) => s.status !== "undone");
  return result.steps.filter((s) => s.status === "done" || s.status === "undo-failed");
}

function nextCommands(result: RunResult, opts: ViewOptions): string[] {
  if (!result.runId) return [];
  const undo =
    !["undone", "refused", "needs-human"].includes(result.outcome) && leftInPlace(result).length > 0;
  // `show` reads the local journal only; `undo` talks to the cluster. An undo that stopped half-way
  // is finished by undoing the same run again, never by undoing the undo.
  return [
    onTarget(`pvefix show ${result.runId}`, opts.state),
    ...(undo ? [onTarget(`pvefix undo ${result.undoOf ?? result.runId}`, opts.target)] : []),
  ];
}

/** A run declined before anything ran has nothing to roll back: say so instead of "rolled back". */
function meaningOf(result: RunResult): string {
  const changed = result.steps.some((s) => s.status !== "pending" && s.status !== "skipped");
  if (result.outcome === "declined" && !changed) return "declined at a gate; nothing was changed";
  return OUTCOME_TEXT[result.outcome].meaning;
}

function headline(result: RunResult): string {
  const meaning = meaningOf(result);
  const what = result.error ?? result.reason ?? result.plan?.summary;
  // The engine's reasons may already open with the meaning ("needs a human: step … is guarded").
  const line = !what ? meaning : what.toLowerCase().startsWith(`${meaning}:`) ? what : `${meaning}: ${what}`;
  return `${line[0]!.toUpperCase()}${line.slice(1)}`;
}

function runText(input: RunResult, opts: ViewOptions): string {
  const result = escapeDeep(input);
  const p = painter(opts);
  const out: string[] = [];
  if (result.outcome === "refused" && result.refusal)
    out.push(renderRefusal(result.refusal, result.runbook, "text", opts));
  else if (result.outcome === "nothing-to-do")
    out.push(renderNothingToDo(result.reason ?? "", result.runbook, "text", opts));
  else {
    const { symbol, color } = OUTCOME_TEXT[result.outcome];
    out.push(`${p(color, symbol)} ${p("bold", headline(result))}`);
  }
  const flags = paramFlags(result.params).join(" ");
  out.push(
    p(
      "dim",
      `  run ${result.runId ?? "(none)"} · ${result.runbook} ${flags} · exit ${exitCodeFor(result.outcome)}`.trimEnd(),
    ),
  );

  if (result.outcome === "needs-human" && result.plan && result.undoOf) {
    out.push("  Nothing was changed: unattended mode stops before any undo step that needs a human.", "");
    out.push(undoPlanText({ of: result.undoOf, plan: result.plan, drift: [], refusal: null }, opts));
  } else if (result.outcome === "needs-human" && result.plan) {
    out.push("  Nothing was changed: unattended mode stops before any step that needs a human.", "");
    out.push(planText(result.plan, opts), "");
    out.push(
      `${p("bold", "Run it interactively:")} ${pvefixCommand("run", result.runbook, result.params, [], opts.target)}`,
    );
  } else if (result.steps.length > 0) {
    out.push("", p("bold", "Steps:"), ...result.steps.map((s) => stepLine(s, p)));
  }
  // What the plan could not see (a node that did not answer) must stay on screen after the run.
  const warnings = result.outcome === "needs-human" ? [] : (result.plan?.warnings ?? []);
  if (warnings.length > 0) {
    out.push(
      "",
      p(["bold", "yellow"], "Warnings:"),
      ...warnings.map((w) => `  ! ${quotedOnTarget(w, opts.target)}`),
    );
  }

  const left = leftInPlace(result);
  if ((result.outcome === "rollback-incomplete" || result.outcome === "interrupted") && left.length > 0) {
    out.push("", p(["bold", "red"], "Left in place (check these by hand):"));
    for (const s of left) out.push(`  - [${s.node}] ${s.id}: ${s.title} (${s.status})`);
  }
  if (result.touchedFiles.length > 0) {
    out.push("", p("bold", "Touched files (backed up before the change):"));
    for (const f of result.touchedFiles) out.push(`  ${f.node}:${f.path}`);
  }
  const next = nextCommands(result, opts);
  if (next.length > 0) {
    out.push("", `journal: ${next[0]}`);
    if (next[1]) out.push(`undo:    ${next[1]}`);
  }
  return out.join("\n");
}

function stepLine(step: StepReport, p: Paint): string {
  const line = `  ${p(STATUS_COLOR[step.status], STATUS_SYMBOL[step.status])} [${step.node}] ${step.title} ${p("dim", `(${step.id}: ${step.status})`)}`;
  return step.error ? `${line}\n${indent(step.error, "      ")}` : line;
}

function runMarkdown(input: RunResult, opts: ViewOptions): string {
  const result = escapeDeep(input);
  const meaning = meaningOf(result);
  const flags = paramFlags(result.params).join(" ");
  const parts = [
    `# Run ${result.runId ?? "(not started)"}: ${mdText(meaning)}`,
    mdTable(
      ["Fact", "Value"],
      [
        ["Runbook", mdCode(result.runbook)],
        ["Parameters", flags ? mdCode(flags) : "(none)"],
        ["Outcome", `${result.outcome} (exit ${exitCodeFor(result.outcome)})`],
        ...(result.plan ? [["Plan", result.plan.summary]] : []),
        ...(result.refusal ? [["Refused", `${result.refusal.code}: ${result.refusal.message}`]] : []),
        ...(result.reason ? [["Reason", result.reason]] : []),
        ...(result.error ? [["Error", result.error]] : []),
      ],
    ),
  ];
  if (result.refusal?.detail) parts.push(mdList(result.refusal.detail.split("\n").filter(Boolean)));
  if (result.steps.length > 0) {
    parts.push(
      "## Steps",
      mdTable(
        ["Step", "Node", "Risk", "Status", "Error"],
        result.steps.map((s) => [`${s.id}: ${s.title}`, s.node, s.risk, s.status, s.error ?? ""]),
      ),
    );
  }
  const left = leftInPlace(result);
  if (result.outcome === "rollback-incomplete" || result.outcome === "interrupted") {
    parts.push("## Left in place", mdList(left.map((s) => `${s.node}: ${s.id} (${s.status})`)));
  }
  parts.push("## Touched files", mdList(result.touchedFiles.map((f) => `${mdCode(`${f.node}:${f.path}`)}`)));
  if (result.outcome === "needs-human" && input.plan && input.undoOf) {
    parts.push(renderUndoPlan({ of: input.undoOf, plan: input.plan, drift: [], refusal: null }, "md", opts));
  } else if (result.outcome === "needs-human" && input.plan) {
    parts.push(planMarkdown(input.plan, 1, opts.target));
  }
  const next = nextCommands(result, opts);
  if (next.length > 0) parts.push("## Next", mdFence("sh", next.join("\n")));
  return parts.join("\n\n");
}

const views: ViewMap<RunResult> = {
  text: runText,
  md: runMarkdown,
  json: (r) =>
    toJson({
      runId: r.runId,
      outcome: r.outcome,
      exitCode: exitCodeFor(r.outcome),
      runbook: r.runbook,
      params: r.params,
      steps: r.steps,
      touchedFiles: r.touchedFiles,
      ...(r.plan ? { plan: r.plan } : {}),
      ...(r.refusal ? { refusal: r.refusal } : {}),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.undoOf !== undefined ? { undoOf: r.undoOf } : {}),
    }),
};

export function renderRunResult(result: RunResult, format: OutputFormat, opts: ViewOptions): string {
  // A run result carries the plan and the errors of commands: secrets leave no output.
  return views[format](redactDeep(result), opts);
}
