/** `pvefix runs` and `pvefix show <run-id>`: read the journal. */

import {
  type JournalEntry,
  type RunSummary,
  readJournal,
  scanRuns,
  summarizeRun,
  type UnreadableJournal,
} from "../../index.js";
import { renderRunDetail, renderRunList } from "../../views/index.js";
import { GlobalOptionError, type GlobalOptions } from "../global-options.js";
import { printOutput } from "../output.js";

export interface RunsFilter {
  limit: string;
  runbook?: string | undefined;
}

export async function runRuns(globals: GlobalOptions, filter: RunsFilter = { limit: "0" }): Promise<number> {
  const limit = runsLimit(filter);
  const { runs: all, unreadable } = scanRuns(globals.stateDir);
  return printRuns(globals, filter, limit, all, unreadable);
}

/** The run list as `pvefix runs` prints it, from the state directory or the fleet's database. */
export function printRuns(
  globals: GlobalOptions,
  filter: RunsFilter,
  limit: number,
  all: readonly RunSummary[],
  unreadable: readonly UnreadableJournal[] = [],
): number {
  const matching = all.filter((r) => !filter.runbook || r.runbook === filter.runbook);
  const runs = limit > 0 ? matching.slice(-limit) : matching;
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  printOutput(globals, renderRunList(runs, globals.output, { color: globals.color, columns }));
  if (runs.length < matching.length && globals.output === "text") {
    process.stderr.write(`(the last ${runs.length} of ${matching.length} runs; --limit 0 shows all)\n`);
  }
  // On stderr, so `-o json` stays one document; the runs that could be read are listed all the same.
  for (const { file, reason } of unreadable) {
    process.stderr.write(
      `⚠ Skipped ${file}: not a readable journal (${reason}); move it away to silence this\n`,
    );
  }
  return 0;
}

/** `--limit`, checked: a whole number, 0 for all. */
export function runsLimit(filter: RunsFilter): number {
  const limit = Number(filter.limit);
  if (!/^\d+$/.test(filter.limit) || !Number.isSafeInteger(limit)) {
    throw new GlobalOptionError(
      `✖ Expected a number of runs (0 for all), got ${JSON.stringify(filter.limit)}\n  → at --limit`,
    );
  }
  return limit;
}

export async function runShow(globals: GlobalOptions, runId: string): Promise<number> {
  const entries = readJournal(globals.stateDir, runId);
  const ended = entries.some((e) => e.type === "run-end");
  return printRun(globals, entries, ended ? null : summarizeRun(entries).outcome);
}

/** One run as `pvefix show` prints it; `outcome` says whether an unfinished one runs or was interrupted. */
export function printRun(
  globals: GlobalOptions,
  entries: JournalEntry[],
  outcome: RunSummary["outcome"] | null,
): number {
  const start = entries.find((e) => e.type === "run-start");
  const unfinished = outcome === "running" || outcome === "interrupted" ? outcome : undefined;
  printOutput(globals, renderRunDetail(entries, globals.output, { color: globals.color, unfinished }), {
    cluster: start?.type === "run-start" ? start.cluster : undefined,
  });
  return 0;
}
