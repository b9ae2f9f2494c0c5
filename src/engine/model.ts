/**
 * The types that cross layers: plans, steps, refusals, findings and run results.
 * This module imports nothing from transport, cli or lab, so every layer can depend on it.
 * A plan is data: it can be saved, reviewed, and applied later only while pvefix, probing again,
 * builds the same plan (a saved plan is a record, never the source of what runs).
 */
import { z } from "zod";

export const PLAN_FORMAT_VERSION = 1;

export const Risk = z.enum(["safe", "guarded", "dangerous"]);
export type Risk = z.infer<typeof Risk>;

/** One thing a step does on its node. Everything apply needs is in here; nothing is computed later. */
export const Action = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("exec"),
    command: z.string().min(1),
    /** @default 30000 */
    timeoutMs: z.number().int().positive().optional(),
    /** Exit codes that count as success. @default [0] */
    okExitCodes: z.array(z.number().int()).optional(),
    /**
     * A read-only command run first: exit 0 means the effect is already in place and the action
     * is skipped (Ansible's `creates`). It makes undos idempotent when a step's outcome is unknown.
     */
    skipIf: z.string().min(1).optional(),
  }),
  z.object({
    kind: z.literal("write-file"),
    path: z.string().startsWith("/"),
    content: z.string(),
    /**
     * What the write replaces, as probed when the plan was made, so every view can show the change
     * as a diff from the plan alone: the bytes of `before.path` (`path` itself, or the file a staged
     * `<file>.new` will replace), null when that file does not exist. Shown only, never written.
     */
    before: z.object({ path: z.string().startsWith("/"), content: z.string().nullable() }).optional(),
    /** Octal mode such as `0644`; omitted keeps the transport default. */
    mode: z
      .string()
      .regex(/^0[0-7]{3}$/)
      .optional(),
  }),
  /** Put back the bytes this run backed up for `path` (or remove it if it did not exist). */
  z.object({ kind: z.literal("restore-file"), path: z.string().startsWith("/") }),
]);
export type Action = z.infer<typeof Action>;

/** A postcondition: a named check the runbook implements, with serialisable arguments. */
export const Check = z.object({
  name: z.string(),
  node: z.string(),
  description: z.string(),
  args: z.record(z.string(), z.unknown()).default({}),
  /** Poll until the check holds or this long has passed. @default 0 (one try) */
  waitMs: z.number().int().nonnegative().optional(),
});
export type Check = z.infer<typeof Check>;

export const Undo = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("actions"), description: z.string(), actions: z.array(Action).min(1) }),
  /** The step only returns the node to its normal state (e.g. starting a unit): nothing to put back. */
  z.object({ kind: z.literal("none"), reason: z.string().min(1) }),
  z.object({ kind: z.literal("irreversible"), reason: z.string().min(1) }),
]);
export type Undo = z.infer<typeof Undo>;

export const Step = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  title: z.string(),
  node: z.string(),
  risk: Risk,
  /** The fact or guard that made `decide` choose this step (shown in every rendering). */
  reason: z.string(),
  actions: z.array(Action).min(1),
  undo: Undo,
  /** Files this step changes: backed up on the node and in the journal before it runs. */
  files: z.array(z.string().startsWith("/")).default([]),
  /** Checked right after the actions; a failed check fails the step. */
  verify: z.array(Check).default([]),
  /** What the operator is told at the gate of a guarded or dangerous step. */
  warning: z.string().optional(),
  /**
   * Sending the step's actions again leaves the node as sending them once. A step that is not
   * declared idempotent (`pvecm expected`, anything with a runtime effect or a partial outcome)
   * and was in flight when its worker died is never sent again nor undone by another worker: a
   * human looks first. Absent means not idempotent.
   */
  idempotent: z.boolean().optional(),
});
export type Step = z.infer<typeof Step>;
export type StepInput = z.input<typeof Step>;

/** What `decide` returns when it wants something done; the engine adds identity and fingerprint. */
export const PlanDraft = z.object({
  summary: z.string(),
  warnings: z.array(z.string()).default([]),
  steps: z.array(Step).min(1),
  postconditions: z.array(Check).default([]),
});
export type PlanDraft = z.infer<typeof PlanDraft>;
export type PlanDraftInput = z.input<typeof PlanDraft>;

export const Plan = PlanDraft.extend({
  formatVersion: z.literal(PLAN_FORMAT_VERSION),
  runbook: z.string(),
  params: z.record(z.string(), z.unknown()),
  cluster: z.string(),
  createdAt: z.string(),
  /**
   * sha256 over the canonical JSON of `facts` before redaction, so a changed secret is a change too;
   * `apply` refuses when a re-probe differs.
   */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  /** The facts this plan relies on (the runbook's stable subset); redacted wherever it is written. */
  facts: z.unknown(),
  unattended: z.object({ eligible: z.boolean(), reason: z.string() }),
  /**
   * Set by the caller when the facts were read from reports (`plan --from`), not from the cluster:
   * such a plan is for review only and `apply` refuses it.
   */
  fromReport: z
    .object({
      origins: z.array(
        z.object({ node: z.string(), time: z.string().nullable(), files: z.array(z.string()) }),
      ),
    })
    .optional(),
});
export type Plan = z.infer<typeof Plan>;

export const FROM_REPORT_NOTE = "from a report: re-plan against the cluster before applying";

/** A guard said no. Data first: `code` for programs, `message` and `detail` for people. */
export const Refusal = z.object({
  /** A code of the refusal catalogue (src/kit/refusals), which holds its words. */
  code: z.string().regex(/^[a-z][a-z0-9-]*$/),
  message: z.string(),
  detail: z.string().optional(),
  node: z.string().optional(),
});
export type Refusal = z.infer<typeof Refusal>;

/**
 * Whether undoing one step of an earlier run is still safe on the facts found now (`guardUndo`).
 * `risk` is the gate the undo asks at (default: the step's own); `warning` is shown at that gate.
 */
export type UndoGuard =
  | { ok: true; risk?: Risk; warning?: string; evidence?: string }
  | { ok: false; refusal: Refusal };

export type Decision =
  | { kind: "plan"; plan: PlanDraftInput }
  | { kind: "refusal"; refusal: Refusal }
  | { kind: "nothing-to-do"; reason: string };

export const Severity = z.enum(["info", "warning", "critical"]);
export type Severity = z.infer<typeof Severity>;

/** One result of `diagnose`: what is wrong, how bad, and the exact next command. */
export const Finding = z.object({
  runbook: z.string(),
  severity: Severity,
  summary: z.string(),
  params: z.record(z.string(), z.unknown()),
  command: z.string(),
  node: z.string().optional(),
});
export type Finding = z.infer<typeof Finding>;

export const StepStatus = z.enum(["pending", "done", "failed", "skipped", "undone", "undo-failed"]);
export type StepStatus = z.infer<typeof StepStatus>;

export const RunOutcome = z.enum([
  "done",
  "nothing-to-do",
  "refused",
  "needs-human",
  "declined",
  "failed-rolled-back",
  "rollback-incomplete",
  "interrupted",
  "undone",
]);
export type RunOutcome = z.infer<typeof RunOutcome>;

export const RunMode = z.enum(["interactive", "unattended", "apply", "undo"]);
export type RunMode = z.infer<typeof RunMode>;
