/** The journal views: `pvefix runs` (one line per run) and `pvefix show <run-id>` (a timeline). */
import type { JournalEntry, RunSummary } from "../engine/journal.js";
import { redactDeep } from "../engine/redact.js";
import { paramFlags } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import { type OutputFormat, toJson, type ViewOptions } from "./format.js";
import { timelineText } from "./journal-timeline.js";
import { painter } from "./style.js";
import { mdCode, mdFence, mdTable, textTable } from "./table.js";

/** `2026-11-23 10:35:00Z`: the journal's UTC time, shortened, never converted. */
function started(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** One run as the cells of `pvefix runs` (the approval page shows the same words). */
export function runRow(run: RunSummary): string[] {
  return [
    run.runId,
    started(run.startedAt),
    run.runbook,
    paramFlags(run.params).join(" "),
    run.undoOf ? `${run.outcome} (undo of ${run.undoOf})` : run.outcome,
    run.undoneBy ?? "",
  ];
}

export const RUN_LIST_HEADERS = ["RUN ID", "STARTED", "RUNBOOK", "PARAMS", "OUTCOME", "UNDONE BY"];
const HEADERS = RUN_LIST_HEADERS;

/** The columns that give way, widest first, when the table is wider than the terminal. */
const SHRINKABLE = [3, 4, 5];
// As wide as the widest header that gives way ("UNDONE BY"), so the header row fits too.
const MIN_CELL = 9;

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

/**
 * `unfinished`: the journal has no end entry and the process that wrote it is `running` still or
 * gone (`interrupted`, killed or powered off mid-run): said after the timeline, never made up as
 * an entry.
 */
export interface DetailOptions extends ViewOptions {
  unfinished?: "running" | "interrupted" | undefined;
}

function unfinishedLine(entries: JournalEntry[], unfinished: DetailOptions["unfinished"]): string | null {
  if (!unfinished) return null;
  const start = entries.find((e) => e.type === "run-start");
  const id = start?.type === "run-start" ? start.runId : "<run-id>";
  const last = entries.at(-1);
  const where = last?.type === "step-start" ? ` while step ${last.stepId} was running` : "";
  return unfinished === "running"
    ? `… still running (pid ${start?.type === "run-start" ? start.pid : "?"})`
    : `‼ interrupted: the process ended without recording an outcome${where}; \`pvefix undo ${id}\` puts back what ran`;
}

const detailViews: { [F in OutputFormat]: (entries: JournalEntry[], opts: DetailOptions) => string } = {
  text: (entries, opts) => {
    const note = unfinishedLine(entries, opts.unfinished);
    const timeline = timelineText(entries, opts);
    return note ? `${timeline}\n${painter(opts)("red", note)}` : timeline;
  },
  md: (entries, opts) => {
    const start = entries.find((e) => e.type === "run-start");
    const title = start?.type === "run-start" ? `# Run ${start.runId}` : "# Run";
    const note = unfinishedLine(entries, opts.unfinished);
    return [title, mdFence("text", timelineText(entries, { color: false })), ...(note ? [note] : [])].join(
      "\n\n",
    );
  },
  // The journal itself, with every output in full; an object like every other JSON view, so
  // fields can be added without breaking readers.
  json: (entries, opts) => {
    const start = entries.find((e) => e.type === "run-start");
    return toJson({
      runId: start?.type === "run-start" ? start.runId : null,
      ...(opts.unfinished ? { unfinished: opts.unfinished } : {}),
      entries,
    });
  },
};

export function renderRunDetail(entries: JournalEntry[], format: OutputFormat, opts: DetailOptions): string {
  // Journals are redacted when written; this covers journals written before that was complete.
  return detailViews[format](redactDeep(entries), opts);
}
