/** `--from FILE…`: open pvereports and captured outputs as an offline target (src/report). */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterTarget } from "../../index.js";
import { type Captured, type CapturedInput, loadCaptured } from "../../report/captured.js";
import { ReportTransport } from "../../report/transport.js";
import { GlobalOptionError, type GlobalOptions } from "../global-options.js";
import { readParseInput } from "./parse-input.js";

export interface ReportTarget extends ClusterTarget {
  transport: ReportTransport;
  captured: Captured;
}

/** Files as given; a folder's regular files (sorted by name) are captured outputs, one command each. */
function readInputs(paths: readonly string[]): CapturedInput[] {
  const inputs: CapturedInput[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = fs.statSync(p).isDirectory();
    } catch {
      // Missing or unreadable: readParseInput names the path and the reason.
    }
    if (!isDir) {
      inputs.push({ path: p, text: readParseInput(p), inFolder: false });
      continue;
    }
    const files = fs
      .readdirSync(p)
      .sort()
      .map((name) => path.join(p, name))
      .filter((f) => fs.statSync(f).isFile());
    if (files.length === 0)
      throw new GlobalOptionError(
        `✖ ${p} holds no file: a folder given to --from holds one captured output per file\n  → at --from`,
      );
    for (const f of files) inputs.push({ path: f, text: readParseInput(f), inFolder: true });
  }
  return inputs;
}

export function openReportTarget(globals: GlobalOptions, paths: readonly string[]): ReportTarget {
  if (globals.lab || globals.inventory) {
    throw new GlobalOptionError(
      "✖ --from excludes --lab and -i/--inventory: a report is read offline, without the cluster",
    );
  }
  const captured = loadCaptured(readInputs(paths));
  return {
    transport: new ReportTransport(captured),
    nodes: captured.nodes,
    cluster: captured.cluster,
    captured,
  };
}

/** What a diagnosis or plan made from reports carries: whose view, when, and from which files. */
export function reportOrigins(target: ReportTarget) {
  return target.captured.origins.map((o) => ({ node: o.node, time: o.time, files: [...o.files] }));
}
