/**
 * A check (a step's postcondition) is defined once, beside the step builder that uses it, with a
 * zod schema for its arguments. Steps reference it by value (`check.at(...)`), so a missing check
 * is a compile error, and its arguments are checked when the plan is made and again when it runs.
 */
import type { z } from "zod";
import type { Check } from "../engine/model.js";
import type { CheckFn, CheckResult, ProbeContext } from "../engine/runbook.js";

export interface CheckDef<S extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>> {
  readonly name: string;
  readonly args: S;
  /** What the engine calls (`Runbook.checks[name]`): parses the args, then runs. */
  readonly fn: CheckFn;
  /** The Check data a step carries: this check on `node` with these args. */
  at(node: string, description: string, args: z.input<S>, options?: { waitMs?: number }): Check;
}

export function defineCheck<S extends z.ZodType<Record<string, unknown>>>(
  name: string,
  args: S,
  run: (ctx: ProbeContext, node: string, args: z.output<S>) => Promise<CheckResult>,
): CheckDef<S> {
  return {
    name,
    args,
    fn: async (ctx, check) => run(ctx, check.node, args.parse(check.args)),
    at(node, description, input, options = {}) {
      return {
        name,
        node,
        description,
        args: args.parse(input),
        ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
      };
    },
  };
}
