/** `pvefix diagnose`: every detector; findings with severity and the exact next command; an exit code that says what was found. */
import { runbooks } from "../../../runbooks/index.js";
import { type Diagnosis, diagnoseCluster, type HiddenBy } from "../../index.js";
import { hiddenOnNode } from "../../pve/probes/guests.js";
import { renderDiagnosis } from "../../views/index.js";
import { DIAGNOSE_EXIT } from "../exit-codes.js";
import type { GlobalOptions } from "../global-options.js";
import { oneLineIf } from "../output.js";
import { openReportTarget, reportOrigins } from "./from-report.js";
import { print, progressFor, viewOptions, withTarget } from "./shared.js";

export async function runDiagnose(globals: GlobalOptions, from?: readonly string[]): Promise<number> {
  const diagnosis = from?.length
    ? await diagnoseReport(globals, from)
    : await withTarget(globals, (target) =>
        diagnoseCluster({
          ...target,
          runbooks,
          hiddenBy: hiddenOnNode,
          listener: progressFor(globals, true),
        }),
      );
  const text = renderDiagnosis(diagnosis, globals.output, viewOptions(globals));
  print(oneLineIf(globals.jsonl === true, text));
  return DIAGNOSE_EXIT[diagnosis.status];
}

/** A node the reports do not cover was not found wanting: named, as info, with what it may hide. */
const notInReport: HiddenBy = async (ctx, node) => {
  const hidden = await hiddenOnNode(ctx, node).catch(() => ({ hides: null }));
  return { severity: "info", hides: hidden.hides };
};

async function diagnoseReport(globals: GlobalOptions, from: readonly string[]): Promise<Diagnosis> {
  const target = openReportTarget(globals, from);
  try {
    const diagnosis = await diagnoseCluster({
      ...target,
      runbooks,
      hiddenBy: notInReport,
      listener: progressFor(globals, true),
    });
    return {
      ...diagnosis,
      report: { origins: reportOrigins(target), notAnswered: [...target.transport.notAnswered] },
    };
  } finally {
    await target.transport.close();
  }
}
