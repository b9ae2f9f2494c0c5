/**
 * Views: pure renderings of engine data (plans, refusals, run results, findings, journals,
 * runbook docs) as text, Markdown or JSON, chosen by the `-o` value. A view never does I/O,
 * never reads the clock and never decides anything: the same data always gives the same string.
 * Remote text is escaped before it is shown. Output has no trailing newline: the caller adds it.
 */
export { escapeDeep, escapeTerminal } from "./escape-terminal.js";
export { renderDiagnosis } from "./findings.js";
export { FLEET_SCHEMA_VERSION, type FleetTargets, renderFleetDiagnosis } from "./fleet.js";
export { NO_COLOR, OutputFormat, ViewOptions } from "./format.js";
export { renderGateText } from "./gate.js";
export { renderRunDetail, renderRunList } from "./journal.js";
export { EXIT_CODES, OUTCOME_TEXT } from "./outcomes.js";
export { renderParsed } from "./parsed.js";
export { renderPlan } from "./plan.js";
export { renderNothingToDo, renderRefusal } from "./refusal.js";
export { renderRunResult } from "./run-result.js";
export { DOC_SECTIONS, renderRunbookDoc } from "./runbook-doc.js";
export { renderRunbookList } from "./runbook-list.js";
export { type ParamDoc, paramDocs, paramsJsonSchema } from "./runbook-params.js";
export { renderUndoPlan } from "./undo-plan.js";
