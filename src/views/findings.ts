/** The findings of `pvefix diagnose`: what is wrong, how bad, and the exact next command. */
import type { Finding } from "../engine/model.js";
import { onTarget } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import { type OutputFormat, toJson, type ViewMap, type ViewOptions } from "./format.js";
import { indent, painter, SEVERITY_COLOR, SEVERITY_ORDER, SEVERITY_SYMBOL } from "./style.js";
import { mdCode, mdTable } from "./table.js";

/** Critical first; the detectors' order is kept within a severity. */
function bySeverity(findings: Finding[]): Finding[] {
  return SEVERITY_ORDER.flatMap((severity) => findings.filter((f) => f.severity === severity));
}

function counts(findings: Finding[]): string {
  const parts = SEVERITY_ORDER.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${findings.length} ${findings.length === 1 ? "finding" : "findings"}: ${parts.join(", ")}`;
}

const views: ViewMap<Finding[]> = {
  text: (input, opts) => {
    const p = painter(opts);
    const findings = bySeverity(escapeDeep(input));
    if (findings.length === 0) return `${p("green", "✔")} no problems found`;
    const out = [p("bold", counts(findings))];
    for (const severity of SEVERITY_ORDER) {
      const group = findings.filter((f) => f.severity === severity);
      if (group.length === 0) continue;
      out.push("", p(["bold", SEVERITY_COLOR[severity]], `${severity} (${group.length})`));
      for (const f of group) {
        const where = f.node ? `${p("cyan", `[${f.node}]`)} ` : "";
        out.push(
          indent(f.summary, "    ", `  ${p(SEVERITY_COLOR[severity], SEVERITY_SYMBOL[severity])} ${where}`),
        );
        out.push(`    ${p("dim", "$")} ${f.command}`);
      }
    }
    return out.join("\n");
  },
  md: (input) => {
    const findings = bySeverity(escapeDeep(input));
    if (findings.length === 0) return "# Diagnosis\n\nNo problems found.";
    return [
      "# Diagnosis",
      `${counts(findings)}.`,
      mdTable(
        ["Severity", "Node", "Runbook", "Finding", "Next command"],
        findings.map((f) => [f.severity, f.node ?? "", mdCode(f.runbook), f.summary, mdCode(f.command)]),
      ),
    ].join("\n\n");
  },
  // Exactly these keys, in this order: scripts and alerting consume this shape.
  json: (findings) =>
    toJson({
      findings: bySeverity(findings).map((f) => ({
        runbook: f.runbook,
        severity: f.severity,
        summary: f.summary,
        params: f.params,
        command: f.command,
        ...(f.node !== undefined ? { node: f.node } : {}),
      })),
    }),
};

/** Each finding's next command points at the same cluster as this diagnosis (`opts.target`). */
export function renderFindings(findings: Finding[], format: OutputFormat, opts: ViewOptions): string {
  const runnable = findings.map((f) => ({ ...f, command: onTarget(f.command, opts.target) }));
  return views[format](runnable, opts);
}
