/** `pvefix show`: a run's journal as a readable timeline, one entry after another. */
import type { JournalEntry } from "../engine/journal.js";
import type { CommandResult } from "../transport/types.js";
import { paramFlags } from "./command-line.js";
import { escapeDeep } from "./escape-terminal.js";
import type { ViewOptions } from "./format.js";
import { OUTCOME_TEXT } from "./outcomes.js";
import {
  indent,
  type Paint,
  painter,
  RISK_SYMBOL,
  STATUS_COLOR,
  STATUS_SYMBOL,
  truncateLines,
} from "./style.js";
import { keyValues } from "./table.js";

/** Output beyond this many lines is cut in text; `-o json` has all of it. */
export const MAX_OUTPUT_LINES = 20;
const HANG = " ".repeat(15);

export function timelineText(input: JournalEntry[], opts: ViewOptions): string {
  const entries = escapeDeep(input);
  const p = painter(opts);
  const start = entries.find((e) => e.type === "run-start");
  const out: string[] = [];
  if (start?.type === "run-start") {
    out.push(p("bold", `Run ${start.runId}`) + p("dim", ` (${start.runbook}, ${start.mode})`));
    out.push(
      keyValues([
        ["started", `${start.time} by ${start.user}@${start.host} (pid ${start.pid})`],
        ["cluster", `${start.cluster} (transport ${start.transport})`],
        ["params", paramFlags(start.params).join(" ") || "(none)"],
        ...(start.undoOf ? [["undo of", start.undoOf] as [string, string]] : []),
      ]),
      "",
    );
  }
  // A run declined at its first gate changed nothing: it has nothing it "rolled back".
  const changed = entries.some((e) => e.type === "step-start" || e.type === "undo-start");
  for (const entry of entries) {
    const body = entryText(entry, p, changed);
    if (body !== null) out.push(indent(body, HANG, `${p("dim", `[${clock(entry.time)}]`)} `));
  }
  return out.join("\n");
}

/** `10:35:00.123` from the entry's ISO time: no clock, no time zone. */
function clock(time: string): string {
  return /T(\d\d:\d\d:\d\d(?:\.\d{1,3})?)/.exec(time)?.[1] ?? time;
}

function entryText(e: JournalEntry, p: Paint, changed: boolean): string | null {
  switch (e.type) {
    case "run-start":
      return "run started";
    case "facts":
      return `facts\n${indent(truncateLines(JSON.stringify(e.facts, null, 2) ?? "null", MAX_OUTPUT_LINES), "  ")}`;
    case "command":
      return commandText(e.result, e.phase, p, e.expected === true);
    case "decision":
      return decisionText(e, p);
    case "gate":
      return `gate ${e.stepId}: ${e.approved ? p("green", "approved") : p("red", "not approved")} (${e.answer})`;
    case "backup": {
      const state = e.existed ? `sha256 ${(e.sha256 ?? "").slice(0, 12)}` : "did not exist";
      const copy = e.nodeCopy ? `, copy on the node: ${e.nodeCopy}` : "";
      return `backup ${e.stepId}: ${e.node}:${e.path} ${state}${copy}`;
    }
    case "file-state":
      return `left by ${e.stepId}: ${e.node}:${e.path} ${e.sha256 === null ? "missing" : `sha256 ${e.sha256.slice(0, 12)}`}`;
    case "step-start":
      return `step ${e.stepId} started`;
    case "step-end":
      return `step ${e.stepId}: ${p(STATUS_COLOR[e.status], `${STATUS_SYMBOL[e.status]} ${e.status}`)}${e.error ? `\n  ${e.error}` : ""}`;
    case "check":
      return `check${e.stepId ? ` ${e.stepId}` : " (postcondition)"}: ${e.ok ? p("green", "✔") : p("red", "✖")} ${e.check.description}: ${e.detail}`;
    case "undo-start":
      return `undo ${e.stepId} started${e.of ? ` (of run ${e.of})` : ""}`;
    case "undo-end":
      return `undo ${e.stepId}: ${e.ok ? p("cyan", "↺ undone") : p("red", "‼ undo failed")}${e.error ? `\n  ${e.error}` : ""}`;
    case "run-end": {
      const { symbol, color } = OUTCOME_TEXT[e.outcome];
      const meaning =
        e.outcome === "declined" && !changed
          ? "declined at a gate; nothing was changed"
          : OUTCOME_TEXT[e.outcome].meaning;
      return `${p(color, symbol)} ${p("bold", `outcome: ${meaning}`)} (${e.outcome}, exit ${e.exitCode})${e.message ? `\n  ${e.message}` : ""}`;
    }
    case "undone-by":
      return `undone by run ${e.runId} (${e.outcome})`;
  }
}

function decisionText(e: Extract<JournalEntry, { type: "decision" }>, p: Paint): string {
  if (e.kind === "plan" && e.plan) {
    const steps = e.plan.steps.map(
      (s, i) => `  ${RISK_SYMBOL[s.risk]} ${i + 1}. [${s.node}] ${s.title} (${s.id})`,
    );
    return [`decision: plan: ${e.plan.summary}`, ...steps].join("\n");
  }
  if (e.kind === "refusal" && e.refusal) {
    const r = e.refusal;
    return [
      `decision: ${p("red", "✖")} refused (${r.code}): ${r.message}`,
      ...(r.detail ? [indent(r.detail, "  ")] : []),
    ].join("\n");
  }
  return `decision: nothing to do: ${e.reason ?? ""}`.trimEnd();
}

/**
 * Probes and checks only read: a non-zero exit is their answer (`systemctl is-active` says 3 for
 * inactive, a hung mount is killed with 137), so it is drawn neutral; what it meant is in the facts.
 */
const READS = new Set(["probe", "verify"]);

/** `expected`: a non-zero exit that was an answer (okExitCodes, a skip check): drawn neutral, not as a failure. */
export function commandText(r: CommandResult, phase: string, p: Paint, expected = false): string {
  const node = p("cyan", `[${r.node}]`);
  const ms = Math.round(r.durationMs);
  const status = r.timedOut
    ? p("red", `✖ timed out after ${ms} ms`)
    : r.connectionLost
      ? p("red", `✖ connection lost after ${ms} ms`)
      : r.exitCode === 0
        ? p("green", `✔ (exit 0, ${ms} ms)`)
        : expected
          ? p("dim", `· exit ${r.exitCode}, as expected (${ms} ms)`)
          : READS.has(phase)
            ? p("dim", `· exit ${r.exitCode} (${ms} ms)`)
            : p("red", `✖ exit ${r.exitCode} (${ms} ms)`);
  const lines = [`${node} $ ${r.command}${phase === "step" ? "" : p("dim", `  # ${phase}`)}`, `  ${status}`];
  for (const [name, text] of [
    ["stdout", r.stdout],
    ["stderr", r.stderr],
  ] as const) {
    if (text.trim() !== "")
      lines.push(`  ${p("dim", `${name}:`)}`, indent(truncateLines(text, MAX_OUTPUT_LINES), "    "));
  }
  return lines.join("\n");
}
