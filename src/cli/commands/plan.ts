/** `pvefix plan <runbook>`: a dry run that changes nothing; optionally saved for `pvefix apply`. */
import * as fs from "node:fs";
import { runbookById } from "../../../runbooks/index.js";
import { type ClusterTarget, InputError, type Plan, planOnly, redactDeep } from "../../index.js";
import { commandLine } from "../../shell/quote.js";
import { onTarget } from "../../views/command-line.js";
import { renderNothingToDo, renderPlan, renderRefusal } from "../../views/index.js";
import { EXIT } from "../exit-codes.js";
import type { GlobalOptions } from "../global-options.js";
import { printOutput } from "../output.js";
import { openReportTarget, reportOrigins } from "./from-report.js";
import { checkLocalFiles, progressFor, viewOptions, withTarget } from "./shared.js";

export interface PlanCommandOptions {
  runbook: string;
  rawParams: Record<string, unknown>;
  save?: string;
  /** `--from`: pvereports and captured outputs instead of the cluster. */
  from?: string[];
}

export async function runPlan(globals: GlobalOptions, options: PlanCommandOptions): Promise<number> {
  const runbook = runbookById(options.runbook);
  checkLocalFiles(options.rawParams);
  let cluster: string | undefined;
  let fromReport: Plan["fromReport"];
  const plan = (target: ClusterTarget) => {
    cluster = target.cluster;
    return planOnly({
      ...target,
      stateDir: globals.stateDir,
      runbook,
      rawParams: options.rawParams,
      listener: progressFor(globals, true),
    });
  };
  let planned: Awaited<ReturnType<typeof planOnly>>;
  if (options.from?.length) {
    const target = openReportTarget(globals, options.from);
    fromReport = { origins: reportOrigins(target) };
    try {
      planned = await plan(target);
    } finally {
      await target.transport.close();
    }
    if (planned.kind === "plan") planned = { ...planned, plan: { ...planned.plan, fromReport } };
  } else {
    planned = await withTarget(globals, plan);
  }
  const view = viewOptions(globals);
  const print = (text: string) => printOutput(globals, text, { cluster });
  switch (planned.kind) {
    case "refusal":
      print(renderRefusal(planned.refusal, runbook.meta.id, globals.output, view));
      return EXIT.refused;
    case "nothing-to-do":
      print(renderNothingToDo(planned.reason, runbook.meta.id, globals.output, view));
      return EXIT.ok;
    case "plan":
      if (options.save) {
        // A record for review and for `apply` to compare against; it never holds a secret.
        try {
          fs.writeFileSync(options.save, `${JSON.stringify(redactDeep(planned.plan), null, 2)}\n`, {
            mode: 0o600,
          });
        } catch (error) {
          throw new InputError([
            { field: "--save", message: `Cannot write ${options.save}: ${(error as Error).message}` },
          ]);
        }
        const apply = onTarget(commandLine(["pvefix", "apply", options.save]), view.target);
        process.stderr.write(
          fromReport
            ? `Saved plan to ${options.save} for review: made from a report, \`pvefix apply\` refuses it; re-plan against the cluster\n`
            : `Saved plan to ${options.save}; apply it with: ${apply}\n`,
        );
      }
      print(renderPlan(planned.plan, globals.output, view));
      return EXIT.ok;
  }
}
