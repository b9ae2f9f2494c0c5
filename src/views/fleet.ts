/**
 * The report of `pvefix diagnose` over several clusters: a line per cluster first (how bad, where
 * from), then each cluster's own report as one `diagnose` prints it, its next commands pointing at
 * its own inventory. A cluster that could not be swept says why, in the place of its report.
 *
 * JSON is a document of its own, `schemaVersion` 2 (FLEET_SCHEMA_VERSION): `clusters` holds, per
 * cluster, the schema-1 document one `diagnose -i` prints (`diagnosis`) or the `error` that kept
 * it from being swept. A single `-i` still prints schema 1, unchanged.
 */
import type { DiagnosisStatus } from "../engine/diagnose.js";
import type { FleetDiagnosis, FleetEntry } from "../engine/fleet.js";
import { escapeDeep } from "./escape-terminal.js";
import { diagnosisParts, statusText } from "./findings.js";
import { type OutputFormat, toJson, type ViewOptions } from "./format.js";
import { indent, painter } from "./style.js";
import { mdCode, mdTable } from "./table.js";

export const FLEET_SCHEMA_VERSION = 2;

/** Per cluster (by its entry's `source`), the flags that point its next commands at it. */
export type FleetTargets = (source: string) => string;

const STATUS_COLOR: Record<DiagnosisStatus, "green" | "yellow" | "red"> = {
  clear: "green",
  findings: "yellow",
  critical: "red",
  incomplete: "yellow",
};

function entryLine(e: FleetEntry): string {
  if ("error" in e) return "not swept";
  const { up, down } = e.diagnosis.nodes;
  return `${e.status}, ${up.length}/${up.length + down.length} nodes answering`;
}

function tally(fleet: FleetDiagnosis): string {
  const order: DiagnosisStatus[] = ["critical", "incomplete", "findings", "clear"];
  const parts = order
    .map((s) => [s, fleet.clusters.filter((c) => c.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${fleet.clusters.length} clusters: ${parts.join(", ")}`;
}

function text(fleet: FleetDiagnosis, opts: ViewOptions, targetOf: FleetTargets): string {
  const p = painter(opts);
  const clusters = escapeDeep(fleet.clusters);
  const out = [p("bold", tally(fleet))];
  for (const e of clusters) {
    out.push(`  ${p(STATUS_COLOR[e.status], e.cluster ?? "(not loaded)")} (${e.source}): ${entryLine(e)}`);
  }
  for (const [i, e] of clusters.entries()) {
    out.push("", p("bold", `━━ ${e.cluster ?? "(not loaded)"} (${e.source}) ━━`));
    const original = fleet.clusters[i] as FleetEntry;
    if ("error" in e) {
      out.push(indent(e.error.message, "    ", `  ${p("red", "✖")} not swept: `));
    } else if (!("error" in original)) {
      // The cluster's own view escapes what it shows: give it the original, not the escaped copy.
      out.push(diagnosisParts(original.diagnosis, { ...opts, target: targetOf(e.source) }, "").text);
    }
  }
  if (fleet.status === "incomplete") {
    const which = clusters.filter((c) => c.status === "incomplete").map((c) => c.cluster ?? c.source);
    out.push("", p(["bold", "yellow"], `Not everything could be checked in: ${which.join(", ")}.`));
  }
  return out.join("\n");
}

function md(fleet: FleetDiagnosis, opts: ViewOptions, targetOf: FleetTargets): string {
  const clusters = escapeDeep(fleet.clusters);
  const out = [
    "# Fleet diagnosis",
    [
      `- Generated: ${fleet.generatedAt}`,
      `- Status: ${fleet.status} (worst of ${fleet.clusters.length} clusters: ${statusText(fleet.status)})`,
      `- Schema version: ${FLEET_SCHEMA_VERSION}`,
    ].join("\n"),
    mdTable(
      ["Cluster", "Inventory", "Status", "Nodes answering", "Findings"],
      clusters.map((e) => [
        e.cluster === null ? "" : mdCode(e.cluster),
        mdCode(e.source),
        e.status,
        "error" in e
          ? "not swept"
          : `${e.diagnosis.nodes.up.length}/${e.diagnosis.nodes.up.length + e.diagnosis.nodes.down.length}`,
        "error" in e
          ? e.error.message
          : String(
              e.diagnosis.findings.length + e.diagnosis.unreachable.length + e.diagnosis.failures.length,
            ),
      ]),
    ),
  ];
  for (const [i, e] of clusters.entries()) {
    const original = fleet.clusters[i] as FleetEntry;
    const title = `## ${e.cluster === null ? mdCode(e.source) : mdCode(e.cluster)} (${mdCode(e.source)})`;
    if ("error" in e) out.push(`${title}\n\nNot swept (${mdCode(e.error.code)}): ${e.error.message}`);
    else if (!("error" in original)) {
      out.push(diagnosisParts(original.diagnosis, { ...opts, target: targetOf(e.source) }, title).md);
    }
  }
  return out.join("\n\n");
}

/** Exactly these keys, in this order, like the single cluster's document. */
function json(fleet: FleetDiagnosis, opts: ViewOptions, targetOf: FleetTargets): string {
  return toJson({
    schemaVersion: FLEET_SCHEMA_VERSION,
    kind: "fleet",
    generatedAt: fleet.generatedAt,
    status: fleet.status,
    clusters: fleet.clusters.map((e) => ({
      source: e.source,
      cluster: e.cluster,
      status: e.status,
      ...("error" in e
        ? { error: e.error }
        : {
            diagnosis: diagnosisParts(e.diagnosis, { ...opts, target: targetOf(e.source) }, "").json,
          }),
    })),
  });
}

const views = { text, md, json } satisfies Record<OutputFormat, unknown>;

/** Each cluster's next commands point at its own inventory (`targetOf(source)`). */
export function renderFleetDiagnosis(
  fleet: FleetDiagnosis,
  format: OutputFormat,
  opts: ViewOptions,
  targetOf: FleetTargets,
): string {
  return views[format](fleet, opts, targetOf);
}
