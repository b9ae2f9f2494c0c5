/** `pvefix list` and `pvefix explain <runbook>`. */
import { runbookById, runbooks } from "../../../runbooks/index.js";
import { renderRunbookDoc, renderRunbookList } from "../../views/index.js";
import type { GlobalOptions } from "../global-options.js";
import { print } from "./shared.js";

export async function runList(globals: GlobalOptions): Promise<number> {
  print(renderRunbookList(runbooks, globals.output));
  return 0;
}

export async function runExplain(globals: GlobalOptions, id: string): Promise<number> {
  print(renderRunbookDoc(runbookById(id), globals.output));
  return 0;
}
