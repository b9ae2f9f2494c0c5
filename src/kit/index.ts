/**
 * The runbook kit: everything a runbook file imports besides its probes and step builders.
 * See docs/adding-a-runbook.md.
 */
export { type CheckDef, defineCheck } from "./check.js";
export { type DiagnosticMeta, defineDiagnostic, type KitDiagnostic } from "./diagnostic.js";
export { type FindingInput, finding, renderFinding } from "./finding.js";
export { isRefusalCode, REFUSALS, type RefusalCode, type RefusalData } from "./refusals/index.js";
export { type CodedRefusal, refusal, refuse } from "./refuse.js";
export { defineRunbook, type KitDecision, type KitMeta, type KitRunbook, refusalLines } from "./runbook.js";
export { type AnyStepBuilder, defineStep, type StepBuilder, type StepWords, withWords } from "./step.js";
