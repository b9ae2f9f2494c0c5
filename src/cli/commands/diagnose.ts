/** `pvefix diagnose`: every detector; findings with severity and the exact next command. */
import { runbooks } from "../../../runbooks/index.js";
import { diagnose } from "../../engine/diagnose.js";
import { renderFindings } from "../../views/index.js";
import type { GlobalOptions } from "../global-options.js";
import { withTargetFlags } from "../target.js";
import { print, progressFor, withTarget } from "./shared.js";

export async function runDiagnose(globals: GlobalOptions): Promise<number> {
  const findings = await withTarget(globals, (target) =>
    diagnose({ ...target, runbooks, listener: progressFor(globals, true) }),
  );
  const runnable = findings.map((f) => ({ ...f, command: withTargetFlags(f.command, globals) }));
  print(renderFindings(runnable, globals.output, { color: globals.color }));
  return 0;
}
