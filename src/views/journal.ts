/** The journal views: `pvefix runs` (one line per run) and `pvefix show <run-id>` (a timeline). */
import type { JournalEntry, RunSummary } from "../engine/journal.js";
import { paramFlags } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import { type OutputFormat, toJson, type ViewMap, type ViewOptions } from "./format.js";
import { timelineText } from "./journal-timeline.js";
import { painter } from "./style.js";
import { mdCode, mdFence, mdTable, textTable } from "./table.js";

/** `2026-11-23 10:35:00Z`: the journal's UTC time, shortened, never converted. */
function started(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function runRow(run: RunSummary): string[] {
  return [
    run.runId,
    started(run.startedAt),
    run.runbook,
    paramFlags(run.params).join(" "),
    run.undoOf ? `${run.outcome} (undo of ${run.undoOf})` : run.outcome,
    run.undoneBy ?? "",
  ];
}

const HEADERS = ["RUN ID", "STARTED", "RUNBOOK", "PARAMS", "OUTCOME", "UNDONE BY"];

/** The columns that give way, widest first, when the table is wider than the terminal. */
const SHRINKABLE = [3, 4, 5];
const MIN_CELL = 12;

/** Cut the PARAMS, OUTCOME and UNDONE BY cells (with `…`) until every line fits in `columns`. */
export function fitRows(rows: string[][], columns: number | undefined): string[][] {
  if (!columns || rows.length === 0) return rows;
  const all = [HEADERS, ...rows];
  const widths = HEADERS.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? "")].length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > columns) {
    const widest = SHRINKABLE.filter((i) => widths[i]! > MIN_CELL).sort((a, b) => widths[b]! - widths[a]!)[0];
    if (widest === undefined) break;
    widths[widest] = Math.max(MIN_CELL, widths[widest]! - (total() - columns));
  }
  return rows.map((row) =>
    row.map((cell, i) => {
      const chars = [...cell];
      return chars.length > widths[i]! ? `${chars.slice(0, widths[i]! - 1).join("")}…` : cell;
    }),
  );
}

const listViews: {
  [F in OutputFormat]: (runs: RunSummary[], opts: ViewOptions & { columns?: number | undefined }) => string;
} = {
  text: (input, opts) => {
    const p = painter(opts);
    const runs = escapeDeep(input);
    if (runs.length === 0) return "no runs yet";
    const table = textTable(HEADERS, fitRows(runs.map(runRow), opts.columns), (h) => p("bold", h));
    return [
      table,
      "",
      p(
        "dim",
        "pvefix show <run-id> shows a run's timeline (a unique prefix of the id, or `last`, will do).",
      ),
    ].join("\n");
  },
  md: (input) => {
    const runs = escapeDeep(input);
    if (runs.length === 0) return "No runs yet.";
    return mdTable(
      HEADERS.map((h) => h[0] + h.slice(1).toLowerCase()),
      runs.map((r) => runRow(r).map((cell, i) => ((i === 0 || i === 3) && cell ? mdCode(cell) : cell))),
    );
  },
  json: (runs) => toJson({ runs }),
};

/** `columns`: the terminal's width, to fit the text table in; absent for a file or a pipe. */
export function renderRunList(
  runs: RunSummary[],
  format: OutputFormat,
  opts: ViewOptions & { columns?: number | undefined },
): string {
  return listViews[format](runs, opts);
}

const detailViews: ViewMap<JournalEntry[]> = {
  text: timelineText,
  md: (entries) => {
    const start = entries.find((e) => e.type === "run-start");
    const title = start?.type === "run-start" ? `# Run ${start.runId}` : "# Run";
    return [title, mdFence("text", timelineText(entries, { color: false }))].join("\n\n");
  },
  // The journal itself, with every output in full; an object like every other JSON view, so
  // fields can be added without breaking readers.
  json: (entries) => {
    const start = entries.find((e) => e.type === "run-start");
    return toJson({ runId: start?.type === "run-start" ? start.runId : null, entries });
  },
};

export function renderRunDetail(entries: JournalEntry[], format: OutputFormat, opts: ViewOptions): string {
  return detailViews[format](entries, opts);
}
