/**
 * Planning: probe → decide → a finished Plan (identity, fingerprint, unattended eligibility).
 * Planning changes nothing on the cluster: it only reads through the probe context.
 */
import { ParseError } from "../pve/parsers/format.js";
import { TransportError } from "../transport/errors.js";
import { FileOpError } from "../transport/files.js";
import { fingerprintFacts } from "./fingerprint.js";
import { PLAN_FORMAT_VERSION, Plan, PlanDraft, type PlanDraftInput, type Refusal } from "./model.js";
import { ProbeError } from "./probe-context.js";
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
    return {
      code: "node-unreachable",
      node: error.node,
      message: `Cannot establish the facts: node ${error.node} is unreachable`,
      detail: error.message,
    };
  }
  if (error instanceof ProbeError) {
    return {
      code: "probe-failed",
      node: error.node,
      message: "Cannot establish the facts",
      detail: error.message,
    };
  }
  // Output a probe could not read, or a file it could not fetch: the facts are unknown, so no plan.
  if (error instanceof ParseError || error instanceof FileOpError) {
    return {
      code: "probe-failed",
      ...(error instanceof FileOpError ? { node: error.node } : {}),
      message: "Cannot establish the facts: unexpected output from the cluster",
      detail: error.message,
    };
  }
  throw error;
}
