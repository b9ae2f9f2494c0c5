/** The journal views: `pvefix runs` (one line per run) and `pvefix show <run-id>` (a timeline). */
import type { JournalEntry, RunSummary } from "../engine/journal.js";
import { redactDeep } from "../engine/redact.js";
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

const listViews: ViewMap<RunSummary[]> = {
  text: (input, opts) => {
    const p = painter(opts);
    const runs = escapeDeep(input);
    if (runs.length === 0) return "no runs yet";
    const table = textTable(HEADERS, runs.map(runRow), (h) => p("bold", h));
    return [table, "", p("dim", "pvefix show <run-id> shows a run's timeline.")].join("\n");
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

export function renderRunList(runs: RunSummary[], format: OutputFormat, opts: ViewOptions): string {
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
  // Journals are redacted when written; this covers journals written before that was complete.
  return detailViews[format](redactDeep(entries), opts);
}
