/** `pvefix diagnose`: every detector; findings with severity and the exact next command; an exit code that says what was found. */
import { runbooks } from "../../../runbooks/index.js";
import { diagnoseCluster } from "../../index.js";
import { hiddenOnNode } from "../../pve/probes/guests.js";
import { renderDiagnosis } from "../../views/index.js";
import { DIAGNOSE_EXIT } from "../exit-codes.js";
import type { GlobalOptions } from "../global-options.js";
import { oneLineIf } from "../output.js";
import { print, progressFor, viewOptions, withTarget } from "./shared.js";

export async function runDiagnose(globals: GlobalOptions): Promise<number> {
  const diagnosis = await withTarget(globals, (target) =>
    diagnoseCluster({ ...target, runbooks, hiddenBy: hiddenOnNode, listener: progressFor(globals, true) }),
  );
  const text = renderDiagnosis(diagnosis, globals.output, viewOptions(globals));
  print(oneLineIf(globals.jsonl === true, text));
  return DIAGNOSE_EXIT[diagnosis.status];
}
