/**
 * One runbook's documentation, from the runbook object itself: `pvefix explain <id>` (text),
 * `docs/runbooks/<id>.md` (md) and `--json`, always in the same fixed sections.
 */
import type { AnyRunbook, RunbookMeta } from "../engine/runbook.js";
import { pvefixCommand } from "./command-line.js";
import { type OutputFormat, toJson } from "./format.js";
import { EXIT_CODES } from "./outcomes.js";
import { type ParamDoc, paramDocs, paramsJsonSchema } from "./runbook-params.js";
import { indent } from "./style.js";
import { keyValues, mdCode, mdFence, mdList, mdTable, mdText } from "./table.js";

export { renderRunbookList } from "./runbook-list.js";

/** The section titles, in the order every rendering uses. */
export const DOC_SECTIONS = [
  "Summary",
  "Description",
  "Parameters",
  "What it checks",
  "What it asks",
  "What it changes",
  "How it undoes",
  "What it refuses",
  "Attributes",
  "Examples",
  "What it returns",
  "Notes",
  "See also",
] as const;
type Section = (typeof DOC_SECTIONS)[number];

/** What each attribute value promises, written once (Ansible's attribute fragments). */
const ATTRIBUTE_MEANING = {
  risk: {
    safe: "every step it can plan runs without asking",
    guarded: "some steps ask yes/no before they run",
    dangerous: "some steps ask for the node name before they run",
  },
  unattended: {
    eligible:
      "`--unattended` runs it when every planned step is safe and every guard held; otherwise it stops with exit 4",
    never: "always needs a human: `--unattended` stops with exit 4 before any change",
  },
  undo: {
    full: "every change can be undone (`pvefix undo <run-id>`, and automatically on failure)",
    partial: "some changes can be undone; the plan marks the others irreversible",
    none: "changes cannot be undone",
  },
} as const;

interface Example {
  intent: string;
  command: string;
}

function examples(runbook: AnyRunbook): Example[] {
  return runbook.examples.map((e) => ({
    intent: e.intent,
    command: pvefixCommand("plan", runbook.meta.id, e.params),
  }));
}

function attributes(meta: RunbookMeta): Array<[string, string, string]> {
  return [
    ["risk", meta.risk, ATTRIBUTE_MEANING.risk[meta.risk]],
    ["unattended", meta.unattended, ATTRIBUTE_MEANING.unattended[meta.unattended]],
    ["undo", meta.undo, ATTRIBUTE_MEANING.undo[meta.undo]],
  ];
}

/** `code: when` lines, from the declaration; a code no lab scenario reaches says why. */
function refusalLines(meta: RunbookMeta): string[] {
  return Object.entries(meta.refuses).map(([code, when]) => {
    const why = meta.labUnreachable?.[code];
    return why === undefined ? `${code}: ${when}` : `${code}: ${when} (no lab scenario: ${why})`;
  });
}

/** The runbook's notes, and why no lab scenario has nothing to do, when it says so. */
function notes(meta: RunbookMeta): string[] {
  const never = meta.labUnreachable?.["nothing-to-do"];
  return [
    ...(meta.notes ?? []),
    ...(never === undefined ? [] : [`No lab scenario has nothing to do: ${never}`]),
  ];
}

/** Exit 3 lists this runbook's own refusal codes, from its declaration. */
function exitCodes(meta: RunbookMeta): Array<[string, string]> {
  const codes = Object.keys(meta.refuses);
  return EXIT_CODES.map(({ code, meaning }) => [
    String(code),
    code === 3 && codes.length > 0 ? `${meaning} (${codes.join(", ")})` : meaning,
  ]);
}

function paramAllowed(p: ParamDoc): string {
  return [...p.allowed, ...(p.default !== undefined ? [`default ${JSON.stringify(p.default)}`] : [])].join(
    "; ",
  );
}

function textDoc(runbook: AnyRunbook): string {
  const { meta } = runbook;
  const list = (items: readonly string[] | undefined) =>
    items && items.length > 0 ? items.map((item) => indent(item, "    ", "  - ")).join("\n") : "  None.";
  const body: Record<Section, string> = {
    Summary: `  ${meta.id}: ${meta.summary}`,
    Description: indent(meta.description, "  "),
    Parameters:
      paramDocs(runbook)
        .map((p) =>
          [
            `  ${p.flag} (${p.type}${p.required ? ", required" : ""})`,
            ...(p.description ? [indent(p.description, "      ")] : []),
            ...(paramAllowed(p) ? [`      ${paramAllowed(p)}`] : []),
          ].join("\n"),
        )
        .join("\n") || "  None.",
    "What it checks": list(meta.checks),
    "What it asks": list(meta.asks),
    "What it changes": list(meta.changes),
    "How it undoes": list(meta.undoes),
    "What it refuses": list(refusalLines(meta)),
    Attributes: keyValues(attributes(meta).map(([k, v, why]) => [k, `${v}: ${why}`])),
    Examples:
      examples(runbook)
        .map((e) => `  # ${e.intent}\n  ${e.command}`)
        .join("\n\n") || "  None.",
    "What it returns": keyValues(exitCodes(meta).map(([code, meaning]) => [`exit ${code}`, meaning])),
    Notes: list(notes(meta)),
    "See also": list(meta.seeAlso),
  };
  return DOC_SECTIONS.map((section) => `${section.toUpperCase()}\n${body[section]}`).join("\n\n");
}

function markdownDoc(runbook: AnyRunbook): string {
  const { meta } = runbook;
  const params = paramDocs(runbook);
  const body: Record<Section, string> = {
    Summary: mdText(meta.summary),
    Description: mdText(meta.description),
    Parameters:
      params.length === 0
        ? "None."
        : mdTable(
            ["Flag", "Type", "Required", "Allowed values", "Description"],
            params.map((p) => [
              mdCode(p.flag),
              p.type,
              p.required ? "yes" : "no",
              paramAllowed(p),
              p.description,
            ]),
          ),
    "What it checks": mdList(meta.checks),
    "What it asks": mdList(meta.asks),
    "What it changes": mdList(meta.changes),
    "How it undoes": mdList(meta.undoes),
    "What it refuses": mdList(refusalLines(meta)),
    Attributes: mdTable(
      ["Attribute", "Value", "Meaning"],
      attributes(meta).map(([k, v, why]) => [k, mdCode(v), why]),
    ),
    Examples:
      examples(runbook)
        .map((e) => `### ${mdText(e.intent)}\n\n${mdFence("sh", e.command)}`)
        .join("\n\n") || "None.",
    "What it returns": mdTable(["Exit code", "Meaning"], exitCodes(meta)),
    Notes: mdList(notes(meta)),
    "See also": mdList(meta.seeAlso ?? []),
  };
  return [
    `# ${meta.id}`,
    `<!-- Generated from runbooks/${meta.id}.ts by scripts/render-docs.ts: edit the runbook, then run \`npm run docs\`. -->`,
    ...DOC_SECTIONS.map((section) => `## ${section}\n\n${body[section]}`),
  ].join("\n\n");
}

function jsonDoc(runbook: AnyRunbook): string {
  // `kind` is the document's ("runbook"); a diagnostic says so apart.
  const { kind, ...meta } = runbook.meta;
  return toJson({
    kind: "runbook",
    ...meta,
    ...(kind === "diagnostic" ? { diagnostic: true } : {}),
    refuses: refusalLines(runbook.meta),
    notes: runbook.meta.notes ?? [],
    seeAlso: runbook.meta.seeAlso ?? [],
    params: paramsJsonSchema(runbook),
    examples: runbook.examples.map((e, i) => ({ ...e, command: examples(runbook)[i]!.command })),
    exitCodes: EXIT_CODES,
  });
}

const views: Record<OutputFormat, (runbook: AnyRunbook) => string> = {
  text: textDoc,
  md: markdownDoc,
  json: jsonDoc,
};

export function renderRunbookDoc(runbook: AnyRunbook, format: OutputFormat): string {
  return views[format](runbook);
}
