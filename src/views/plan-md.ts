/** The Markdown rendering of a plan: a document fit to paste into a ticket for review. */
import type { Action, Plan, Step } from "../engine/model.js";
import { redactDeep } from "../engine/redact.js";
import { actionShellLine, byteLength, checkLine, gateText, writeDiff } from "./actions.js";
import { onTarget, paramFlags, pvefixCommand, quotedOnTarget } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import { fromReportLine } from "./plan-text.js";
import { mdCode, mdFence, mdList, mdTable, mdText } from "./table.js";

/**
 * `depth` nests the document under another one's headings (a run result embeds its plan);
 * `target` are the flags that point the commands in it at the same cluster.
 */
export function planMarkdown(input: Plan, depth = 0, target = ""): string {
  const plan = escapeDeep(redactDeep(input));
  const h = (level: number) => "#".repeat(level + depth);
  const flags = paramFlags(plan.params).join(" ");
  const sections = [
    `${h(1)} Plan: ${mdText(plan.summary)}`,
    ...(plan.fromReport ? [`> **${mdText(fromReportLine(plan.fromReport))}**`] : []),
    mdTable(
      ["Fact", "Value"],
      [
        ["Runbook", mdCode(plan.runbook)],
        ["Parameters", flags ? mdCode(flags) : "(none)"],
        ["Cluster", plan.cluster],
        ["Created", plan.createdAt],
        ["Fingerprint", mdCode(plan.fingerprint)],
        [
          "Unattended",
          `${plan.unattended.eligible ? "eligible" : "not eligible"}: ${plan.unattended.reason}`,
        ],
      ],
    ),
    `${h(2)} Warnings`,
    mdList(plan.warnings.map((w) => quotedOnTarget(w, target))),
    `${h(2)} Steps`,
    `Risk: **safe** runs without asking, **guarded** asks yes/no, **dangerous** asks for the node name.`,
    ...plan.steps.map((step, index) => stepMarkdown(step, index, h(3))),
    `${h(2)} Undo`,
    undoMarkdown(plan),
    `${h(2)} Verification`,
    mdList([
      ...plan.steps.flatMap((s) => s.verify.map((c) => `after step ${s.id}: ${checkLine(c)}`)),
      ...plan.postconditions.map((c) => `after the last step: ${checkLine(c)}`),
    ]),
    `${h(2)} How to apply`,
    "Apply exactly this plan (pvefix plans again and refuses if the cluster or the file changed):",
    mdFence(
      "sh",
      [
        pvefixCommand("plan", plan.runbook, plan.params, ["--save", "plan.json"], target),
        onTarget("pvefix apply plan.json", target),
      ].join("\n"),
    ),
    "Or probe again and run it interactively, answering each gate:",
    mdFence("sh", pvefixCommand("run", plan.runbook, plan.params, [], target)),
  ];
  return sections.join("\n\n");
}

export function stepMarkdown(step: Step, index: number, heading: string): string {
  const parts = [
    `${heading} ${index + 1}. ${mdText(step.title)}`,
    mdTable(["Node", "Risk", "Why"], [[step.node, `${step.risk} (${gateText(step)})`, step.reason]]),
    ...(step.warning ? [`> **Warning:** ${mdText(step.warning).replace(/\n/g, "\n> ")}`] : []),
    "Commands:",
    mdFence("sh", step.actions.map(actionShellLine).join("\n")),
    ...step.actions.flatMap(fileContent),
    ...(step.files.length > 0 ? [`Backs up first: ${step.files.map(mdCode).join(", ")}`] : []),
    ...undoBlock(step),
    ...(step.verify.length > 0 ? ["Checks:", mdList(step.verify.map((c) => checkLine(c, step.node)))] : []),
  ];
  return parts.join("\n\n");
}

function undoBlock(step: Step): string[] {
  if (step.undo.kind === "irreversible") {
    return [
      `Undo: **none — irreversible:** ${mdText(step.undo.reason.replace(/\.$/, ""))}. There is no undo.`,
    ];
  }
  if (step.undo.kind === "none") return [`Undo: nothing to undo — ${mdText(step.undo.reason)}`];
  return [
    `Undo: ${mdText(step.undo.description)}`,
    mdFence("sh", step.undo.actions.map(actionShellLine).join("\n")),
  ];
}

/** A file write is reviewed as its change (the same diff as the text view), and whole below it. */
function fileContent(action: Action): string[] {
  if (action.kind !== "write-file") return [];
  const summary = `New content of ${mdCode(action.path)} (${byteLength(action.content)} bytes)`;
  return [
    `Changes to ${mdCode(action.path)}:`,
    mdFence("diff", writeDiff(action).join("\n")),
    `<details><summary>${summary}</summary>\n\n${mdFence("", action.content)}\n\n</details>`,
  ];
}

function undoMarkdown(plan: Plan): string {
  const irreversible = plan.steps.filter((s) => s.undo.kind === "irreversible");
  const lines = [
    "If a step fails, the steps already done are undone in reverse order and the files they changed are restored from the backups taken before each step.",
    "After a run, `pvefix undo <run-id>` undoes every step still in place.",
  ];
  if (irreversible.length > 0) {
    lines.push(
      `Irreversible steps: ${irreversible.map((s) => mdCode(s.id)).join(", ")}. There is no undo for them.`,
    );
  }
  return lines.join("\n\n");
}
