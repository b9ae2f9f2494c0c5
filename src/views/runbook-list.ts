/** `pvefix list`: every runbook with its risk, unattended eligibility and summary. */
import type { AnyRunbook } from "../engine/runbook.js";
import { NO_COLOR, type OutputFormat, toJson, type ViewMap, type ViewOptions } from "./format.js";
import { painter } from "./style.js";
import { mdCode, mdTable, textTable } from "./table.js";

const views: ViewMap<AnyRunbook[]> = {
  text: (runbooks, opts) => {
    const p = painter(opts);
    const rows = runbooks.map(({ meta }) => [meta.id, meta.risk, meta.unattended, meta.undo, meta.summary]);
    const table = textTable(["RUNBOOK", "RISK", "UNATTENDED", "UNDO", "SUMMARY"], rows, (h) => p("bold", h));
    return `${table}\n\n${p("dim", "pvefix explain <runbook> shows what a runbook checks, asks, changes and how it undoes.")}`;
  },
  md: (runbooks) =>
    mdTable(
      ["Runbook", "Risk", "Unattended", "Undo", "Summary"],
      runbooks.map(({ meta }) => [mdCode(meta.id), meta.risk, meta.unattended, meta.undo, meta.summary]),
    ),
  json: (runbooks) =>
    toJson({
      runbooks: runbooks.map(({ meta }) => ({
        id: meta.id,
        risk: meta.risk,
        unattended: meta.unattended,
        undo: meta.undo,
        summary: meta.summary,
      })),
    }),
};

export function renderRunbookList(
  runbooks: AnyRunbook[],
  format: OutputFormat,
  opts: ViewOptions = NO_COLOR,
): string {
  return views[format](runbooks, opts);
}
