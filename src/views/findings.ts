/**
 * The report of `pvefix diagnose`: what is wrong, how bad, and the exact next command; which
 * nodes could not be checked and why; which detectors could not finish. Each of the three is a
 * kind of its own, so a script never mistakes an unreachable node for a runbook's finding.
 */
import { DIAGNOSIS_SCHEMA_VERSION, type Diagnosis, type DiagnosisStatus } from "../engine/diagnose.js";
import type { Severity } from "../engine/model.js";
import { commandLine } from "../shell/quote.js";
import { onTarget } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import { type OutputFormat, toJson, type ViewMap, type ViewOptions } from "./format.js";
import { indent, painter, SEVERITY_COLOR, SEVERITY_ORDER, SEVERITY_SYMBOL } from "./style.js";
import { mdCode, mdTable } from "./table.js";

/** One line of the report. */
type Item =
  | {
      kind: "problem";
      runbook: string;
      severity: Severity;
      summary: string;
      params: Record<string, unknown>;
      command: string;
      node?: string;
    }
  | {
      kind: "node-unreachable";
      severity: Severity;
      node: string;
      summary: string;
      since: string;
      code: string;
      reason: string;
      detail: string;
      hides: string | null;
    }
  | {
      kind: "detector-failed";
      severity: Severity;
      detector: string;
      summary: string;
      error: string;
      command: string;
    };

const STATUS_TEXT: Record<DiagnosisStatus, string> = {
  clear: "every node answered and nothing was found",
  findings: "findings, none critical",
  critical: "critical findings",
  incomplete: "not everything could be checked",
};

/** `12:04:05 UTC` from an ISO time: a view never reads the clock, it only reformats. */
function clock(iso: string): string {
  const match = /T(\d\d:\d\d:\d\d)/.exec(iso);
  return match ? `${match[1]} UTC` : iso;
}

function items(d: Diagnosis, target: string | undefined): Item[] {
  const all: Item[] = [
    ...d.unreachable.map(
      (u): Item => ({
        kind: "node-unreachable",
        severity: u.severity,
        node: u.node,
        summary:
          u.code === "not-in-report"
            ? `${u.node} is not in the report: not checked${u.hides ? ` (${u.hides})` : ""}`
            : `${u.node} unreachable since ${clock(u.since)}: ${u.reason}${u.hides ? `; not checked: ${u.hides}` : ""}`,
        since: u.since,
        code: u.code,
        reason: u.reason,
        detail: u.detail,
        hides: u.hides,
      }),
    ),
    ...d.findings.map(
      (f): Item => ({
        kind: "problem",
        runbook: f.runbook,
        severity: f.severity,
        summary: f.summary,
        params: f.params,
        command: onTarget(f.command, target),
        ...(f.node !== undefined ? { node: f.node } : {}),
      }),
    ),
    ...d.failures.map(
      (x): Item => ({
        kind: "detector-failed",
        severity: "warning",
        detector: x.detector,
        summary: `the ${x.detector} detector could not finish: ${x.error}`,
        error: x.error,
        // Offline there is nothing to ask again: the next step is capturing what was not in the report.
        command: d.report
          ? commandLine([
              "pvefix",
              "diagnose",
              "--from",
              ...d.report.origins.flatMap((o) => o.files),
              "CAPTURED/",
            ])
          : onTarget("pvefix diagnose --verbose", target),
      }),
    ),
  ];
  // Critical first; within a severity: unreachable nodes, then findings in detector order, then failures.
  return SEVERITY_ORDER.flatMap((severity) => all.filter((i) => i.severity === severity));
}

function counts(list: Item[]): string {
  const parts = SEVERITY_ORDER.map((s) => [s, list.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${list.length} ${list.length === 1 ? "finding" : "findings"}: ${parts.join(", ")}`;
}

function where(i: Item): string | undefined {
  return i.kind === "detector-failed" ? undefined : i.node;
}

function nextStep(i: Item): { command: string } | { detail: string } {
  return i.kind === "node-unreachable" ? { detail: i.detail } : { command: i.command };
}

interface Input {
  diagnosis: Diagnosis;
  items: Item[];
}

const views: ViewMap<Input> = {
  text: (input, opts) => {
    const p = painter(opts);
    const list = escapeDeep(input.items);
    const report = input.diagnosis.report ? escapeDeep(input.diagnosis.report) : undefined;
    const from = report ? [p("bold", fromLine(report)), ""] : [];
    if (list.length === 0) return [...from, `${p("green", "✔")} no problems found`].join("\n");
    const out = [...from, p("bold", counts(list))];
    for (const severity of SEVERITY_ORDER) {
      const group = list.filter((f) => f.severity === severity);
      if (group.length === 0) continue;
      out.push("", p(["bold", SEVERITY_COLOR[severity]], `${severity} (${group.length})`));
      for (const f of group) {
        const node = where(f);
        const at = node ? `${p("cyan", `[${node}]`)} ` : "";
        out.push(
          indent(f.summary, "    ", `  ${p(SEVERITY_COLOR[severity], SEVERITY_SYMBOL[severity])} ${at}`),
        );
        const next = nextStep(f);
        // The transport's message usually adds the hint (which port, which file); never say it twice.
        if ("detail" in next && f.kind === "node-unreachable" && next.detail === f.reason) continue;
        out.push(
          "command" in next
            ? `    ${p("dim", "$")} ${next.command}`
            : indent(next.detail, "      ", `    ${p("dim", "why:")} `),
        );
      }
    }
    if (input.diagnosis.status === "incomplete") {
      out.push(
        "",
        p(["bold", "yellow"], `Not everything could be checked: ${incompleteWhy(input.diagnosis)}.`),
      );
    }
    if (report && report.notAnswered.length > 0) {
      out.push("", p("bold", `Not in report (${report.notAnswered.length} commands the checks asked):`));
      for (const n of report.notAnswered) out.push(`  ${p("cyan", `[${n.node}]`)} ${n.command}`);
    }
    return out.join("\n");
  },
  md: (input) => diagnosisMd(input, "# Diagnosis"),
  json: (input) => toJson(diagnosisJson(input)),
};

/** The Markdown report under `title`: a fleet report gives each cluster's its own heading. */
function diagnosisMd(input: Input, title: string): string {
  const d = escapeDeep(input.diagnosis);
  const list = escapeDeep(input.items);
  const header = [
    title,
    [
      `- Cluster: ${mdCode(d.cluster)}`,
      `- Generated: ${d.generatedAt}`,
      `- Status: ${d.status} (${STATUS_TEXT[d.status]})`,
      `- Nodes answering: ${d.nodes.up.join(", ") || "none"}${d.nodes.down.length > 0 ? `; not answering: ${d.nodes.down.join(", ")}` : ""}`,
      `- Schema version: ${DIAGNOSIS_SCHEMA_VERSION}`,
      ...(d.report ? [`- ${fromLine(d.report)}`] : []),
    ].join("\n"),
    ...(d.report && d.report.notAnswered.length > 0
      ? [
          `Not in report (${d.report.notAnswered.length} commands the checks asked):\n\n${d.report.notAnswered.map((n) => `- ${n.node}: ${mdCode(n.command)}`).join("\n")}`,
        ]
      : []),
  ];
  if (list.length === 0) return [...header, "No problems found."].join("\n\n");
  return [
    ...header,
    `${counts(list)}.`,
    mdTable(
      ["Severity", "Node", "Kind", "Finding", "Next step"],
      list.map((f) => {
        const next = nextStep(f);
        const source =
          f.kind === "problem"
            ? mdCode(f.runbook)
            : f.kind === "detector-failed"
              ? `detector ${mdCode(f.detector)}`
              : "unreachable";
        return [
          f.severity,
          where(f) ?? "",
          source,
          f.summary,
          "command" in next ? mdCode(next.command) : next.detail,
        ];
      }),
    ),
  ].join("\n\n");
}

// Exactly these keys, in this order: scripts and alerting consume this shape.
function diagnosisJson(input: Input): Record<string, unknown> {
  return {
    schemaVersion: DIAGNOSIS_SCHEMA_VERSION,
    generatedAt: input.diagnosis.generatedAt,
    cluster: input.diagnosis.cluster,
    status: input.diagnosis.status,
    nodes: input.diagnosis.nodes,
    findings: input.items.map((i) => withOrigin(jsonItem(i), i, input.diagnosis)),
    ...(input.diagnosis.report ? { report: input.diagnosis.report } : {}),
  };
}

function jsonItem(i: Item): Record<string, unknown> {
  switch (i.kind) {
    case "problem":
      return {
        kind: i.kind,
        runbook: i.runbook,
        severity: i.severity,
        summary: i.summary,
        params: i.params,
        command: i.command,
        ...(i.node !== undefined ? { node: i.node } : {}),
      };
    case "node-unreachable":
      return {
        kind: i.kind,
        severity: i.severity,
        node: i.node,
        summary: i.summary,
        since: i.since,
        code: i.code,
        reason: i.reason,
        detail: i.detail,
        hides: i.hides,
      };
    case "detector-failed":
      return {
        kind: i.kind,
        severity: i.severity,
        detector: i.detector,
        summary: i.summary,
        error: i.error,
        command: i.command,
      };
  }
}

/** Whose view a diagnosis from reports is, and when. */
function fromLine(report: NonNullable<Diagnosis["report"]>): string {
  const views = report.origins.map((o) => `${o.node}${o.time ? ` at ${o.time}` : " (time unknown)"}`);
  return `From a report, not the cluster: ${views.join("; ")}`;
}

/** Offline, every finding says whose report it was read from and when. */
function withOrigin(json: Record<string, unknown>, i: Item, d: Diagnosis): Record<string, unknown> {
  if (!d.report) return json;
  const node = i.kind === "detector-failed" ? undefined : i.node;
  const origin = d.report.origins.find((o) => o.node === node) ?? d.report.origins[0];
  return origin ? { ...json, from: { node: origin.node, time: origin.time } } : json;
}

function incompleteWhy(d: Diagnosis): string {
  const parts: string[] = [];
  const absent = d.unreachable.filter((u) => u.code === "not-in-report");
  const down = d.unreachable.filter((u) => u.code !== "not-in-report");
  if (down.length > 0) parts.push(`${down.map((u) => u.node).join(", ")} did not answer`);
  if (absent.length > 0) parts.push(`${absent.map((u) => u.node).join(", ")} not in the report`);
  if (d.failures.length > 0)
    parts.push(`detector ${d.failures.map((f) => f.detector).join(", ")} could not finish`);
  return parts.join("; ");
}

/** Each finding's next command points at the same cluster as this diagnosis (`opts.target`). */
export function renderDiagnosis(diagnosis: Diagnosis, format: OutputFormat, opts: ViewOptions): string {
  return views[format]({ diagnosis, items: items(diagnosis, opts.target) }, opts);
}

/** One cluster's report as a part of a larger one: text as it is, Markdown under `mdTitle`, JSON as an object. */
export function diagnosisParts(
  diagnosis: Diagnosis,
  opts: ViewOptions,
  mdTitle: string,
): { text: string; md: string; json: Record<string, unknown> } {
  const input = { diagnosis, items: items(diagnosis, opts.target) };
  return { text: views.text(input, opts), md: diagnosisMd(input, mdTitle), json: diagnosisJson(input) };
}

/** What each status means, in words (the reports' headings). */
export function statusText(status: DiagnosisStatus): string {
  return STATUS_TEXT[status];
}
