/** `pvefix diagnose`: every detector; findings with severity and the exact next command. */
import { runbooks } from "../../../runbooks/index.js";
import { diagnose } from "../../engine/diagnose.js";
import { renderFindings } from "../../views/index.js";
import type { GlobalOptions } from "../global-options.js";
import { print, progressFor, viewOptions, withTarget } from "./shared.js";

export async function runDiagnose(globals: GlobalOptions): Promise<number> {
  const findings = await withTarget(globals, (target) =>
    diagnose({ ...target, runbooks, listener: progressFor(globals, true) }),
  );
  print(renderFindings(findings, globals.output, viewOptions(globals)));
  return 0;
}
