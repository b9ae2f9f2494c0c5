/** `pvefix list` and `pvefix explain <runbook>`. */
import { runbookById, runbooks } from "../../../runbooks/index.js";
import { renderRunbookDoc, renderRunbookList } from "../../views/index.js";
import type { GlobalOptions } from "../global-options.js";
import { printOutput } from "../output.js";

export async function runList(globals: GlobalOptions): Promise<number> {
  printOutput(globals, renderRunbookList(runbooks, globals.output));
  return 0;
}

export async function runExplain(globals: GlobalOptions, id: string): Promise<number> {
  printOutput(globals, renderRunbookDoc(runbookById(id), globals.output));
  return 0;
}
