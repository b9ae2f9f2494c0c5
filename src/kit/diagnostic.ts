/**
 * A diagnostic runbook: probes and findings only, no steps. `diagnose` runs its `detect`;
 * `pvefix plan <id>` runs the same detection for the given params and reports what it found as
 * "nothing to do" (a diagnostic never changes anything, so it never plans a step).
 */
import { z } from "zod";
import type { Finding } from "../engine/model.js";
import type { ProbeContext, Runbook, RunbookExample, RunbookMeta } from "../engine/runbook.js";
import { type FindingInput, renderFinding } from "./finding.js";

export type DiagnosticMeta = Pick<
  RunbookMeta,
  "id" | "summary" | "description" | "checks" | "notes" | "seeAlso"
>;

export interface KitDiagnostic<P extends z.ZodType<Record<string, unknown>>> {
  meta: DiagnosticMeta;
  params?: P;
  examples?: RunbookExample[];
  /** Look for the problem; `params` narrows where (all of them optional for `diagnose`). */
  detect(ctx: ProbeContext, params: Partial<z.output<P>>): Promise<FindingInput[]>;
}

const NoParams = z.object({}).strict();

export function defineDiagnostic<P extends z.ZodType<Record<string, unknown>>>(
  def: KitDiagnostic<P>,
): Runbook<P | typeof NoParams, Finding[]> {
  const { meta } = def;
  const findings = async (ctx: ProbeContext, params: Record<string, unknown>) =>
    (await def.detect(ctx, params as Partial<z.output<P>>)).map((f) => renderFinding(meta.id, f));
  return {
    meta: {
      ...meta,
      kind: "diagnostic",
      risk: "safe",
      unattended: "eligible",
      undo: "none",
      asks: ["nothing: a diagnostic only reads"],
      changes: [],
      undoes: [],
      refuses: {},
    },
    params: def.params ?? NoParams,
    examples: def.examples ?? [],
    probe: (ctx, params) => findings(ctx, params),
    decide: (_params, found) => ({
      kind: "nothing-to-do",
      reason:
        found.length === 0
          ? `${meta.id} found nothing`
          : // One finding a line, each with its node and next command: pasted into a ticket as a list.
            `${meta.id} changes nothing; it found ${found.length} finding${found.length === 1 ? "" : "s"}:\n${found
              .map(
                (f) =>
                  `- [${f.severity}]${f.node ? ` ${f.node}:` : ""} ${f.summary} — next: \`${f.command}\``,
              )
              .join("\n")}`,
    }),
    detect: (ctx) => findings(ctx, {}),
  };
}
