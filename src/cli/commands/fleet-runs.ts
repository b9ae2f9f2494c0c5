/** `pvefix runs|show|undo --database`: the same commands over the runs of every `pvefix serve` worker. */
import { runbookById } from "../../../runbooks/index.js";
import { type FleetAccess, openFleetAccess } from "../../serve/fleet/access.js";
import type { GlobalOptions } from "../global-options.js";
import { globalsForEntries } from "../run-ref.js";
import { printRun, printRuns, type RunsFilter, runsLimit } from "./journal.js";
import { runUndo, type UndoCommandOptions } from "./run.js";

async function withFleet<T>(
  globals: GlobalOptions,
  url: string,
  fn: (f: FleetAccess) => Promise<T>,
): Promise<T> {
  const field = process.env.PVEFIX_DATABASE_URL === url ? "PVEFIX_DATABASE_URL" : "--database";
  const fleet = await openFleetAccess(url, globals.stateDir, field);
  try {
    return await fn(fleet);
  } finally {
    await fleet.close();
  }
}

export async function runFleetRuns(globals: GlobalOptions, filter: RunsFilter, url: string): Promise<number> {
  const limit = runsLimit(filter);
  return withFleet(globals, url, async (fleet) => printRuns(globals, filter, limit, await fleet.runs()));
}

export async function runFleetShow(globals: GlobalOptions, ref: string, url: string): Promise<number> {
  return withFleet(globals, url, async (fleet) => {
    const runId = await fleet.resolve(ref);
    const entries = await fleet.entries(runId);
    const summary = (await fleet.runs()).find((r) => r.runId === runId);
    const ended = entries.some((e) => e.type === "run-end");
    return printRun(globals, entries, ended ? null : (summary?.outcome ?? "interrupted"));
  });
}

export async function runFleetUndo(
  globals: GlobalOptions,
  ref: string,
  url: string,
  options: Omit<UndoCommandOptions, "fleet">,
): Promise<number> {
  return withFleet(globals, url, async (fleet) => {
    let runId: string;
    if (ref === "last") {
      const last = await fleet.lastUndoable(runbookById);
      runId = last.runId;
      const skipped = last.passedOver.length
        ? `; passed over ${last.passedOver.length} later run(s) with nothing to undo: ${last.passedOver.join(", ")}`
        : "";
      process.stderr.write(`\`last\` is run ${runId}, the latest with something to undo${skipped}\n`);
    } else {
      runId = await fleet.resolve(ref);
    }
    const target = globalsForEntries(globals, runId, await fleet.entries(runId));
    return runUndo(target, runId, { ...options, fleet });
  });
}
