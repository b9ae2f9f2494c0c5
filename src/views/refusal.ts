/** Refusals and "nothing to do": the two decisions that change nothing, in every format. */
import type { Refusal } from "../engine/model.js";
import { redactDeep } from "../engine/redact.js";
import { quotedOnTarget } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import { type OutputFormat, toJson, type ViewMap, type ViewOptions } from "./format.js";
import { indent, painter } from "./style.js";
import { mdCode, mdList, mdTable, mdText } from "./table.js";

interface Refused {
  refusal: Refusal;
  runbook: string;
}

/**
 * The `pvefix …` commands a refusal's detail suggests (`run \`pvefix plan …\` again`) point at the
 * same cluster as this command, so they work when pasted.
 */
export function withTargets(refusal: Refusal, target = ""): Refusal {
  if (!target || !refusal.detail) return refusal;
  return {
    ...refusal,
    detail: quotedOnTarget(refusal.detail, target),
  };
}

const refusalViews: ViewMap<Refused> = {
  text: ({ refusal: input, runbook }, opts) => {
    const refusal = escapeDeep(withTargets(input, opts.target));
    const p = painter(opts);
    const lines = [`${p("red", "✖")} ${p("bold", `Refused (${refusal.code}):`)} ${refusal.message}`];
    if (refusal.detail) lines.push(indent(refusal.detail, "  "));
    if (refusal.node) lines.push(`  node: ${refusal.node}`);
    lines.push(p("dim", `  runbook: ${escapeDeep(runbook)} · nothing was changed`));
    return lines.join("\n");
  },
  md: ({ refusal: input, runbook }, opts) => {
    const refusal = escapeDeep(withTargets(input, opts.target));
    return [
      `# Refused: ${mdText(refusal.message)}`,
      mdTable(
        ["Fact", "Value"],
        [
          ["Runbook", mdCode(runbook)],
          ["Code", mdCode(refusal.code)],
          ...(refusal.node ? [["Node", refusal.node]] : []),
        ],
      ),
      ...(refusal.detail ? [mdList(refusal.detail.split("\n").filter((l) => l.trim() !== ""))] : []),
      "Nothing was changed.",
    ].join("\n\n");
  },
  json: ({ refusal, runbook }, opts) =>
    toJson({ kind: "refusal", runbook, refusal: withTargets(refusal, opts.target) }),
};

export function renderRefusal(
  refusal: Refusal,
  runbook: string,
  format: OutputFormat,
  opts: ViewOptions,
): string {
  return refusalViews[format]({ refusal: redactDeep(refusal), runbook }, opts);
}

interface NothingToDo {
  reason: string;
  runbook: string;
}

const nothingViews: ViewMap<NothingToDo> = {
  text: ({ reason, runbook }, opts) => {
    const p = painter(opts);
    return [
      `${p("green", "✔")} ${p("bold", "Nothing to do:")} ${escapeDeep(reason)}`,
      p("dim", `  runbook: ${escapeDeep(runbook)} · nothing was changed`),
    ].join("\n");
  },
  md: ({ reason, runbook }) =>
    [
      `# Nothing to do`,
      mdText(escapeDeep(reason)),
      `Runbook ${mdCode(runbook)} found nothing to change.`,
    ].join("\n\n"),
  json: ({ reason, runbook }) => toJson({ kind: "nothing-to-do", runbook, reason }),
};

export function renderNothingToDo(
  reason: string,
  runbook: string,
  format: OutputFormat,
  opts: ViewOptions,
): string {
  return nothingViews[format]({ reason, runbook }, opts);
}
