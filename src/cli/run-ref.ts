/**
 * How the operator names a run on the command line: its full id, `last`, or a unique prefix of
 * the id; and, for a command given no cluster, the cluster the run's journal names.
 */
import * as fs from "node:fs";
import { runbookById } from "../../runbooks/index.js";
import {
  type AnyRunbook,
  EngineError,
  type JournalEntry,
  lastUndoableRun,
  readJournal,
  runsDir,
} from "../index.js";
import { commandLine } from "../shell/quote.js";
import { GlobalOptionError, type GlobalOptions } from "./global-options.js";

/** The full run id for `ref`: an exact id, `last` (the latest run started), or a unique prefix. */
export function resolveRunId(stateDir: string, ref: string): string {
  const dir = runsDir(stateDir);
  const ids = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".jsonl"))
        .map((f) => f.slice(0, -".jsonl".length))
    : [];
  if (ref === "last") {
    // Run ids start with their UTC start time, so the greatest id is the latest run.
    const latest = [...ids].sort().at(-1);
    if (!latest) throw new EngineError("PVEFIX_RUN_NOT_FOUND", `No runs yet in ${dir}`);
    return latest;
  }
  if (ids.includes(ref)) return ref;
  const matches = ids.filter((id) => id.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new EngineError(
      "PVEFIX_RUN_NOT_FOUND",
      `Run id prefix \`${ref}\` matches ${matches.length} runs: ${matches.slice(0, 5).join(", ")}${matches.length > 5 ? ", …" : ""}`,
      "give more of the id (`pvefix runs` lists them)",
    );
  }
  // The journal's own message: a malformed id or no such run, with where it looked.
  readJournal(stateDir, ref);
  return ref;
}

/**
 * The run `pvefix undo <ref>` undoes. `last` is the latest run with something left to undo (a
 * later run that was declined, refused or had nothing to do has nothing to undo); which run that
 * is, and which later ones were passed over, goes to stderr, so `-o json` stays one document.
 */
export function resolveUndoRunId(
  stateDir: string,
  ref: string,
  say: (line: string) => void,
  runbookFor: (id: string) => AnyRunbook = runbookById,
): string {
  if (ref !== "last") return resolveRunId(stateDir, ref);
  const { runId, passedOver } = lastUndoableRun({ stateDir, runbookFor });
  const skipped =
    passedOver.length === 0
      ? ""
      : `; passed over ${passedOver.length} later run${passedOver.length === 1 ? "" : "s"} with nothing to undo: ${passedOver.join(", ")}`;
  say(`\`last\` is run ${runId}, the latest with something to undo${skipped}\n`);
  return runId;
}

/**
 * The cluster of a command about one run (`undo`): as given, or else the one its journal names.
 * The lab is found again from the state directory, a PVE node's own cluster by discovering it
 * again; an inventory cannot be guessed safely, so the error says which `-i` to pass.
 */
export function globalsForRun(globals: GlobalOptions, runId: string): GlobalOptions {
  if (globals.lab || globals.inventory) return globals;
  return globalsForEntries(globals, runId, readJournal(globals.stateDir, runId));
}

/** `globalsForRun` for a run whose entries came from elsewhere (the fleet's database). */
export function globalsForEntries(
  globals: GlobalOptions,
  runId: string,
  entries: readonly JournalEntry[],
): GlobalOptions {
  if (globals.lab || globals.inventory) return globals;
  const start = entries.find((e) => e.type === "run-start");
  if (start?.type !== "run-start") return globals;
  if (start.transport === "lab") return { ...globals, lab: true };
  // Made on a PVE node with no inventory: that node finds the same cluster again by itself.
  if (start.transport === "node") return globals;
  const how = start.inventory
    ? `pass ${commandLine(["-i", start.inventory, ...(start.inventoryGroup !== undefined ? ["--group", start.inventoryGroup] : [])])}`
    : `pass -i with the inventory of cluster ${start.cluster}`;
  throw new GlobalOptionError(
    `✖ No cluster given: run ${runId} was made on cluster ${start.cluster} over ${start.transport}; ${how}`,
  );
}
