/**
 * `defineRunbook`: a remedy runbook from its meta, its step builders and its functions. What the
 * builders say they change and undo becomes `meta.changes`/`meta.undoes`; the checks they name become
 * the runbook's checks; `decide` may only return the refusal codes `meta.refuses` declares.
 */
import type { z } from "zod";
import type { Finding, PlanDraftInput, Step, UndoGuard } from "../engine/model.js";
import type {
  CheckFn,
  ProbeContext,
  Runbook,
  RunbookExample,
  RunbookMeta,
  UndoContext,
} from "../engine/runbook.js";
import type { CheckDef } from "./check.js";
import { type FindingInput, renderFinding } from "./finding.js";
import type { RefusalCode } from "./refusals/index.js";
import type { CodedRefusal } from "./refuse.js";
import type { StepWords } from "./step.js";

/** `decide`'s answer, with refusals limited to the declared codes `R`. */
export type KitDecision<R extends RefusalCode> =
  | { kind: "plan"; plan: PlanDraftInput }
  | { kind: "refusal"; refusal: CodedRefusal<R> }
  | { kind: "nothing-to-do"; reason: string };

/** The meta a runbook writes: `changes`/`undoes` come from its step builders. */
export type KitMeta<R extends RefusalCode> = Omit<
  RunbookMeta,
  "changes" | "undoes" | "refuses" | "labUnreachable" | "kind"
> & {
  /** Every code `decide` (or the engine, for this runbook) may return, with when, for this runbook. */
  refuses: { readonly [K in R]: string };
  /**
   * The escape hatch of the lab contract (test/integration/runbooks/contract.test.ts): a declared
   * refusal code (or `nothing-to-do`) that no lab state can reach, with why. Listed in the docs.
   */
  labUnreachable?: { readonly [K in NoInfer<R> | "nothing-to-do"]?: string };
  /** Changes no step builder describes (rare: prefer words on the builder). */
  changes?: string[];
  undoes?: string[];
};

export interface KitRunbook<P extends z.ZodType<Record<string, unknown>>, F, R extends RefusalCode> {
  meta: KitMeta<R>;
  params: P;
  examples: RunbookExample[];
  /** The step builders `decide` uses: their words document the runbook, their checks run after them. */
  steps: readonly StepWords[];
  /** Checks of plan-level postconditions (step checks come with their builders). */
  checks?: readonly CheckDef[];
  probe(ctx: ProbeContext, params: z.output<P>): Promise<F>;
  decide(params: z.output<P>, facts: F): KitDecision<NoInfer<R>>;
  stableFacts?(facts: F): unknown;
  /** Top-level fact keys read on the operator's machine (`--file`): see Runbook.localFacts. */
  localFacts?: string[];
  guardUndo?(params: z.output<P>, facts: F, step: Step, undo: UndoContext): UndoGuard;
  /** Findings for `diagnose`; the kit adds the runbook id and renders each command. */
  detect?(this: KitRunbook<P, F, R>, ctx: ProbeContext): Promise<FindingInput[]>;
}

/** The checks of these builders and postconditions by name; one name, one check. */
export function checksOf(id: string, defs: readonly CheckDef[]): Record<string, CheckFn> {
  const byName = new Map<string, CheckDef>();
  for (const def of defs) {
    const known = byName.get(def.name);
    if (known && known !== def) throw new Error(`runbook ${id}: two different checks are named ${def.name}`);
    byName.set(def.name, def);
  }
  return Object.fromEntries([...byName].map(([name, def]) => [name, def.fn]));
}

export function refusalLines(refuses: Readonly<Record<string, string>>): string[] {
  return Object.entries(refuses).map(([code, when]) => `${code}: ${when}`);
}

export function defineRunbook<P extends z.ZodType<Record<string, unknown>>, F, const R extends RefusalCode>(
  def: KitRunbook<P, F, R>,
): Runbook<P, F> {
  const { meta, steps } = def;
  const detect = def.detect;
  const runbook: Runbook<P, F> = {
    meta: {
      ...meta,
      kind: "remedy",
      changes: [...(meta.changes ?? []), ...steps.flatMap((s) => s.changes)],
      undoes: [...(meta.undoes ?? []), ...steps.flatMap((s) => s.undoes)],
      refuses: meta.refuses,
    },
    params: def.params,
    examples: def.examples,
    probe: (ctx, params) => def.probe(ctx, params),
    decide: (params, facts) => def.decide(params, facts),
    checks: checksOf(meta.id, [...steps.flatMap((s) => s.checks ?? []), ...(def.checks ?? [])]),
    ...(def.stableFacts ? { stableFacts: def.stableFacts.bind(def) } : {}),
    ...(def.localFacts ? { localFacts: def.localFacts } : {}),
    ...(def.guardUndo ? { guardUndo: def.guardUndo.bind(def) } : {}),
    ...(detect
      ? {
          detect: async (ctx: ProbeContext): Promise<Finding[]> =>
            (await detect.call(def, ctx)).map((f) => renderFinding(meta.id, f)),
        }
      : {}),
  };
  return runbook;
}
