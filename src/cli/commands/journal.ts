/** `pvefix runs` and `pvefix show <run-id>`: read the journal. */
import { listRuns, readJournal } from "../../engine/journal.js";
import { renderRunDetail, renderRunList } from "../../views/index.js";
import type { GlobalOptions } from "../global-options.js";
import { print } from "./shared.js";

export async function runRuns(globals: GlobalOptions): Promise<number> {
  print(renderRunList(listRuns(globals.stateDir), globals.output, { color: globals.color }));
  return 0;
}

export async function runShow(globals: GlobalOptions, runId: string): Promise<number> {
  print(renderRunDetail(readJournal(globals.stateDir, runId), globals.output, { color: globals.color }));
  return 0;
}
