/**
 * Planning: probe → decide → a finished Plan (identity, fingerprint, unattended eligibility).
 * Planning changes nothing on the cluster: it only reads through the probe context.
 */
import { isPvefixError } from "../errors/pvefix-error.js";
import { TransportError } from "../transport/errors.js";
import { FileOpError } from "../transport/files.js";
import { canonicalJson, fingerprintFacts } from "./fingerprint.js";
import {
  PLAN_FORMAT_VERSION,
  Plan,
  PlanDraft,
  type PlanDraftInput,
  type Refusal,
  type Step,
} from "./model.js";
import { ProbeError } from "./probe-context.js";
import { redactDeep } from "./redact.js";
import { engineRefusal } from "./refusals.js";
import type { AnyRunbook, ProbeContext } from "./runbook.js";

export type Planned =
  | { kind: "plan"; plan: Plan; facts: unknown }
  | { kind: "refusal"; refusal: Refusal; facts: unknown }
  | { kind: "nothing-to-do"; reason: string; facts: unknown };

export interface PlanOptions {
  runbook: AnyRunbook;
  /** Already validated by `parseParams`. */
  params: Record<string, unknown>;
  ctx: ProbeContext;
  /** @default new Date() */
  now?: Date;
}

export async function planRunbook(options: PlanOptions): Promise<Planned> {
  const { runbook, params, ctx } = options;
  let facts: unknown;
  try {
    facts = await runbook.probe(ctx, params);
  } catch (error) {
    return { kind: "refusal", refusal: probeRefusal(error), facts: null };
  }
  const decision = runbook.decide(params, facts);
  switch (decision.kind) {
    case "refusal":
      return { kind: "refusal", refusal: decision.refusal, facts };
    case "nothing-to-do":
      return { kind: "nothing-to-do", reason: decision.reason, facts };
    case "plan":
      return {
        kind: "plan",
        plan: finishPlan(runbook, params, facts, decision.plan, ctx.cluster, options.now),
        facts,
      };
  }
}

export function finishPlan(
  runbook: AnyRunbook,
  params: Record<string, unknown>,
  facts: unknown,
  draftInput: PlanDraftInput,
  cluster: string,
  now = new Date(),
): Plan {
  const draft = PlanDraft.parse(draftInput);
  const stable = runbook.stableFacts ? runbook.stableFacts(facts) : facts;
  return Plan.parse({
    ...draft,
    formatVersion: PLAN_FORMAT_VERSION,
    runbook: runbook.meta.id,
    params,
    cluster,
    createdAt: now.toISOString(),
    fingerprint: fingerprintFacts(stable),
    facts: stable,
    unattended: unattendedEligibility(runbook, draft),
  });
}

/** Unattended mode runs only what is provably safe: an eligible runbook whose every step is `safe`. */
function unattendedEligibility(runbook: AnyRunbook, draft: PlanDraft): Plan["unattended"] {
  if (runbook.meta.unattended === "never") {
    return { eligible: false, reason: `${runbook.meta.id} never runs unattended` };
  }
  const risky = draft.steps.filter((s) => s.risk !== "safe");
  if (risky.length > 0) {
    return {
      eligible: false,
      reason: `needs a human: ${risky.map((s) => `step ${s.id} is ${s.risk}`).join(", ")}`,
    };
  }
  return { eligible: true, reason: "every step is safe and every guard held" };
}

export function probeRefusal(error: unknown): Refusal {
  if (error instanceof TransportError) {
    return engineRefusal("node-unreachable", { case: "probe", node: error.node, error: error.message });
  }
  if (error instanceof ProbeError) {
    return engineRefusal("probe-failed", { case: "probe", node: error.node, error: error.message });
  }
  // Output a probe could not read, or a file it could not fetch: the facts are unknown, so no plan.
  if (isPvefixError(error, "PVEFIX_PARSE_ERROR") || error instanceof FileOpError) {
    const node = error instanceof FileOpError ? { node: error.node } : {};
    return engineRefusal("probe-failed", { case: "unexpected-output", ...node, error: error.message });
  }
  throw error;
}

/**
 * Where a saved plan differs from the plan pvefix builds now, in what it would do: one line per
 * difference naming the step, the field, the saved value and the value now. Both sides are
 * compared redacted (a saved plan never holds secrets); `createdAt` and each step's `reason` are
 * not compared, and the facts are compared by fingerprint before this.
 */
export function planDifferences(savedInput: Plan, nowInput: Plan): string[] {
  const saved = redactDeep(savedInput);
  const now = redactDeep(nowInput);
  const out: string[] = [];
  for (const field of ["runbook", "summary", "warnings", "postconditions", "unattended"] as const) {
    out.push(...valueDifferences(`plan ${field}`, saved[field], now[field]));
  }
  const savedIds = saved.steps.map((s) => s.id);
  const nowIds = now.steps.map((s) => s.id);
  for (const step of saved.steps) {
    const current = now.steps.find((s) => s.id === step.id);
    if (!current) {
      out.push(`step ${step.id}: only in the saved plan (pvefix would not run it now)`);
      continue;
    }
    for (const field of STEP_FIELDS) {
      out.push(...valueDifferences(`step ${step.id} ${field}`, step[field], current[field]));
    }
  }
  for (const step of now.steps) {
    if (!savedIds.includes(step.id)) out.push(`step ${step.id}: missing from the saved plan`);
  }
  const common = (ids: string[], other: string[]) => ids.filter((id) => other.includes(id));
  if (common(savedIds, nowIds).join() !== common(nowIds, savedIds).join()) {
    out.push(`step order: saved ${savedIds.join(", ")}; now ${nowIds.join(", ")}`);
  }
  return out;
}

/**
 * Everything a step does and everything its gate says. Not `reason`: it quotes live measurements
 * (zerotier-one's memory a moment ago) that no two probes share, and it changes nothing that runs.
 */
const STEP_FIELDS = [
  "title",
  "node",
  "risk",
  "warning",
  "actions",
  "files",
  "undo",
  "verify",
] as const satisfies ReadonlyArray<keyof Step>;

/** `label[1].command: saved "x"; now "y"` for each leaf that differs. */
function valueDifferences(label: string, saved: unknown, now: unknown): string[] {
  if (canonicalJson(saved) === canonicalJson(now)) return [];
  const objects = saved !== null && now !== null && typeof saved === "object" && typeof now === "object";
  if (!objects || Array.isArray(saved) !== Array.isArray(now)) {
    return [`${label}: ${describePair(saved, now)}`];
  }
  if (Array.isArray(saved) && Array.isArray(now)) {
    return Array.from({ length: Math.max(saved.length, now.length) }, (_, i) =>
      valueDifferences(`${label}[${i}]`, saved[i], now[i]),
    ).flat();
  }
  const a = saved as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => valueDifferences(`${label}.${k}`, a[k], b[k]));
}

/** Short values in full (an edited command must be readable whole); long texts by their first different line. */
function describePair(saved: unknown, now: unknown): string {
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  if (typeof saved === "string" && typeof now === "string" && (saved.includes("\n") || now.includes("\n"))) {
    const a = saved.split("\n");
    const b = now.split("\n");
    let line = 0;
    while (a[line] === b[line]) line++;
    return `saved ${Buffer.byteLength(saved)} bytes, now ${Buffer.byteLength(now)} bytes; first difference at line ${line + 1}: saved ${show(a[line])}; now ${show(b[line])}`;
  }
  return `saved ${show(saved)}; now ${show(now)}`;
}
