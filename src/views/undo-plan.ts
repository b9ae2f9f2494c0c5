/**
 * `pvefix undo <run> --plan`: the undo of a run as a plan to review, in every format. It says what
 * each undo step runs and at which gate, which guard refuses it now, and which files someone else
 * changed since the run (with the diff), exactly as `pvefix undo` would then ask.
 */
import { redactDeep } from "../engine/redact.js";
import { type FileDrift, UNDO_STEP_REASON, type UndoPlan } from "../engine/undo-plan.js";
import { gateText } from "./actions.js";
import { onTarget, paramFlags, quotedOnTarget } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import { type OutputFormat, toJson, type ViewMap, type ViewOptions } from "./format.js";
import { stepMarkdown } from "./plan-md.js";
import { stepText } from "./plan-text.js";
import { renderRefusal, withTargets } from "./refusal.js";
import { indent, type Paint, painter, RISK_LEGEND } from "./style.js";
import { keyValues, mdCode, mdFence, mdList, mdTable, mdText } from "./table.js";

function driftLine(d: FileDrift, of: string): string {
  return `${d.node}:${d.path} changed since run ${of} left it: expected sha256 ${d.expected ?? "(not recorded)"}, found ${d.found}`;
}

function howToUndo(undo: UndoPlan, target: string): string[] {
  const run = onTarget(`pvefix undo ${undo.of}`, target);
  return [run, ...(undo.plan.unattended.eligible ? [`${run} --unattended`] : [])];
}

export function undoPlanText(input: UndoPlan, opts: ViewOptions): string {
  const undo = escapeDeep(input);
  const { plan } = undo;
  const p = painter(opts);
  const out = [`${p("bold", "Undo plan:")} ${p("bold", plan.summary)}`];
  out.push(
    keyValues([
      ["undoes run", undo.of],
      ["runbook", plan.runbook],
      ["params", paramFlags(plan.params).join(" ") || "(none)"],
      ["cluster", plan.cluster],
      ["checked", plan.createdAt],
      ["unattended", `${plan.unattended.eligible ? "eligible" : "not eligible"}: ${plan.unattended.reason}`],
    ]),
  );
  if (undo.refusal) {
    out.push("", renderRefusal(undo.refusal, plan.runbook, "text", opts));
    out.push(p("dim", "  `pvefix undo` refuses until this holds again (exit 3)."));
    return out.join("\n");
  }
  if (plan.warnings.length > 0) {
    out.push("", p("bold", "Notes:"));
    for (const w of plan.warnings) out.push(indent(quotedOnTarget(w, opts.target), "  ", p("yellow", "! ")));
  }
  if (undo.drift.length > 0) out.push("", ...driftText(undo.drift, undo.of, p));
  out.push(
    "",
    `${p("bold", "Undo steps, in the order they run")} ${p("dim", `(${RISK_LEGEND}; to redo a change, plan the runbook again)`)}`,
  );
  plan.steps.forEach((step, index) => {
    // Every undo step would say "an undo step…" under `undo:`; the heading says it once.
    const lines = stepText(step, index, p).split("\n");
    out.push("", lines.filter((l) => !l.includes(UNDO_STEP_REASON)).join("\n"));
  });
  out.push(
    "",
    `${p("bold", "To undo it")} (probes again, asks at each gate; nothing has changed yet):`,
    ...howToUndo(undo, opts.target ?? "").map((l) => `  ${l}`),
  );
  return out.join("\n");
}

function driftText(drift: readonly FileDrift[], of: string, p: Paint): string[] {
  const lines = [
    p(
      ["bold", "yellow"],
      "Changed by someone else since the run (undo asks before overwriting; --unattended refuses):",
    ),
  ];
  for (const d of drift) {
    lines.push(indent(driftLine(d, of), "    ", `  ${p("yellow", "! ")}`));
    if (d.diff) lines.push(indent(d.diff, "      "));
  }
  return lines;
}

/** The `pvefix …` commands a refusal suggests point at the same cluster, as in the text view. */
function withRefusalTargets(undo: UndoPlan, target = ""): UndoPlan {
  return undo.refusal ? { ...undo, refusal: withTargets(undo.refusal, target) } : undo;
}

function undoPlanMarkdown(input: UndoPlan, opts: ViewOptions): string {
  const undo = escapeDeep(withRefusalTargets(input, opts.target));
  const { plan } = undo;
  const flags = paramFlags(plan.params).join(" ");
  const parts = [
    `# Undo plan: ${mdText(plan.summary)}`,
    mdTable(
      ["Fact", "Value"],
      [
        ["Undoes run", mdCode(undo.of)],
        ["Runbook", mdCode(plan.runbook)],
        ["Parameters", flags ? mdCode(flags) : "(none)"],
        ["Cluster", plan.cluster],
        ["Checked", plan.createdAt],
        [
          "Unattended",
          `${plan.unattended.eligible ? "eligible" : "not eligible"}: ${plan.unattended.reason}`,
        ],
      ],
    ),
  ];
  if (undo.refusal) {
    parts.push(
      `## Refused: ${mdText(undo.refusal.message)}`,
      mdTable(["Code", "Node"], [[mdCode(undo.refusal.code), undo.refusal.node ?? ""]]),
      ...(undo.refusal.detail
        ? [mdList(undo.refusal.detail.split("\n").filter((l) => l.trim() !== ""))]
        : []),
      "`pvefix undo` refuses until this holds again (exit 3). Nothing was changed.",
    );
    return parts.join("\n\n");
  }
  if (plan.warnings.length > 0) parts.push("## Notes", mdList(plan.warnings));
  if (undo.drift.length > 0) {
    parts.push(
      "## Changed since the run",
      "Undo asks before overwriting these changes; `--unattended` refuses.",
      ...undo.drift.flatMap((d) => [
        mdText(driftLine(d, undo.of)),
        ...(d.diff ? [mdFence("diff", d.diff)] : []),
      ]),
    );
  }
  parts.push(
    "## Undo steps",
    "In the order they run. Risk: **safe** runs without asking, **guarded** asks yes/no, **dangerous** asks for the node name.",
    ...plan.steps.map((step, index) =>
      stepMarkdown(step, index, "###").replace(`\n\nUndo: nothing to undo — ${UNDO_STEP_REASON}`, ""),
    ),
    "## How to undo",
    mdFence("sh", howToUndo(undo, opts.target ?? "").join("\n")),
  );
  return parts.join("\n\n");
}

const views: ViewMap<UndoPlan> = {
  text: undoPlanText,
  md: undoPlanMarkdown,
  json: (undo, opts) =>
    toJson({
      kind: "undo-plan",
      of: undo.of,
      refusal: withRefusalTargets(undo, opts.target).refusal,
      drift: undo.drift,
      plan: undo.plan,
      gates: undo.plan.steps.map((s) => ({ step: s.id, node: s.node, risk: s.risk, asks: gateText(s) })),
    }),
};

export function renderUndoPlan(undo: UndoPlan, format: OutputFormat, opts: ViewOptions): string {
  // The fresh facts and the drift diffs hold file contents: secret fields go, in every format.
  return views[format](redactDeep(undo), opts);
}
