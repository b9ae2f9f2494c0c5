/** `pvefix diagnose`: every detector; findings with severity and the exact next command; an exit code that says what was found. */
import * as path from "node:path";
import { runbooks } from "../../../runbooks/index.js";
import {
  type Diagnosis,
  diagnoseCluster,
  diagnoseFleet,
  type EngineListener,
  type FleetMember,
  type HiddenBy,
  InputError,
  inventoryFiles,
} from "../../index.js";
import { hiddenOnNode } from "../../pve/probes/guests.js";
import { renderDiagnosis, renderFleetDiagnosis } from "../../views/index.js";
import { DIAGNOSE_EXIT } from "../exit-codes.js";
import type { GlobalOptions } from "../global-options.js";
import { oneLineIf } from "../output.js";
import { lineProgress } from "../progress.js";
import { openTarget, targetFlags } from "../target.js";
import { openReportTarget, reportOrigins } from "./from-report.js";
import { print, progressFor, viewOptions, withTarget } from "./shared.js";

export interface DiagnoseCommandOptions {
  from?: readonly string[];
  /** Sweep every cluster whose inventory is a file in this folder (beside any -i). */
  inventoryDir?: string;
  /** Clusters swept at once, with several. */
  concurrency?: string;
}

/** Clusters swept at once by default: about 4 × 8 handshakes in flight, what one sshd host's MaxStartups and a small client take. */
const DEFAULT_CONCURRENCY = 4;

export async function runDiagnose(globals: GlobalOptions, o: DiagnoseCommandOptions = {}): Promise<number> {
  const from = o.from;
  if (o.inventoryDir !== undefined || (globals.inventories?.length ?? 0) > 1) return runFleet(globals, o);
  if (o.concurrency !== undefined) {
    throw new InputError([
      {
        field: "--concurrency",
        message: "bounds a sweep over several clusters: give several -i or --inventory-dir",
      },
    ]);
  }
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

function concurrency(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONCURRENCY;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) {
    throw new InputError([
      { field: "--concurrency", message: `Expected a whole number of at least 1, got "${text}"` },
    ]);
  }
  return n;
}

/** The clusters to sweep: every -i, then the folder's files; a file named twice is swept once. */
function fleetSources(globals: GlobalOptions, dir: string | undefined): string[] {
  const files = [...(globals.inventories ?? []), ...(dir === undefined ? [] : inventoryFiles(dir))];
  const seen = new Set<string>();
  return files.filter((f) => {
    const key = path.resolve(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `diagnose` over several clusters: one report, a part per cluster, the worst status's exit code. */
async function runFleet(globals: GlobalOptions, o: DiagnoseCommandOptions): Promise<number> {
  const refuse = (field: string, message: string) => new InputError([{ field, message }]);
  if (o.from?.length)
    throw refuse("--from", "reads one cluster's reports: leave out --inventory-dir and the other -i");
  if (globals.lab)
    throw refuse("--lab", "is one cluster: sweep several with -i FILE -i FILE or --inventory-dir DIR");
  if (globals.group !== undefined) {
    throw refuse(
      "--group",
      "picks the cluster of one Ansible inventory: with several, give one file per cluster",
    );
  }
  const bound = concurrency(o.concurrency);
  const one = (file: string): GlobalOptions => ({ ...globals, inventory: file, inventories: [file] });
  const members: FleetMember[] = fleetSources(globals, o.inventoryDir).map((file) => ({
    source: file,
    open: () => openTarget(one(file)),
  }));
  const fleet = await diagnoseFleet({
    members,
    concurrency: bound,
    runbooks,
    hiddenBy: hiddenOnNode,
    listenerFor: (member) => fleetListener(globals, member.source),
  });
  const text = renderFleetDiagnosis(fleet, globals.output, viewOptions(globals), (file) =>
    targetFlags(one(file)),
  );
  print(oneLineIf(globals.jsonl === true, text));
  return DIAGNOSE_EXIT[fleet.status];
}

/** Progress of one cluster among several: the event stream says whose each event is; spinners would mix clusters up. */
function fleetListener(globals: GlobalOptions, source: string): EngineListener | undefined {
  if (globals.jsonl) {
    return {
      onEvent: (event) => {
        const { type, time, ...fields } = event;
        process.stdout.write(`${JSON.stringify({ type, time, inventory: source, ...fields })}\n`);
      },
    };
  }
  return globals.verbose ? lineProgress({ verbose: true }) : undefined;
}
