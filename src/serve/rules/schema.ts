/**
 * The rules file (YAML): which alerts become which runbook runs, on which cluster, whether they
 * may run unattended; the sweeps; the policy numbers; approvals; notifications. Every field is
 * validated, and an error names the path of the bad field (`rules[1].runbook`).
 */
import { z } from "zod";
import { Duration } from "../duration.js";

/** `{{ labels.name }}` placeholders, nothing else: a template cannot run code or reach other data. */
export const Template = z
  .string()
  .max(512)
  .refine(
    (t) =>
      [...t.matchAll(/\{\{(.*?)\}\}/g)].every((m) =>
        /^\s*labels\.[A-Za-z_][A-Za-z0-9_]*\s*$/.test(m[1] ?? ""),
      ),
    {
      message: "a template may hold only {{ labels.NAME }} placeholders",
    },
  );

export const Rule = z.strictObject({
  name: z.string().min(1).max(128),
  /** Every label listed must be present with this value; a value `~regex` must match the whole label. */
  match: z.record(z.string(), z.string()).refine((m) => Object.keys(m).length > 0, {
    message: "match needs at least one label",
  }),
  runbook: z.string().min(1),
  params: z.record(z.string(), Template).default({}),
  /** The cluster the run is for, templated from the labels (default: the `cluster` label). */
  cluster: Template.default("{{ labels.cluster }}"),
  /** What cooldowns and attempt caps count per (default: the runbook's parameters). */
  target: Template.optional(),
  /** The node an alert is about, for the storm guard's share of nodes (default: the `node` label). */
  node: Template.default("{{ labels.node }}"),
  /** May this run without a person? Still only when every step of the plan is safe (the engine's rule). */
  unattended: z.boolean().default(false),
});
export type Rule = z.infer<typeof Rule>;

export const Sweep = z.strictObject({
  cluster: z.string().min(1),
  every: Duration,
});

export const FindingRule = z.strictObject({
  runbook: z.string().min(1),
  severity: z.array(z.enum(["info", "warning", "critical"])).default(["warning", "critical"]),
  unattended: z.boolean().default(false),
});

export const PolicyConfig = z.strictObject({
  cooldown: Duration.default(15 * 60_000),
  maxAttempts: z.number().int().min(1).max(100).default(3),
  storm: z
    .strictObject({
      window: Duration.default(10 * 60_000),
      maxAlerts: z.number().int().min(1).default(20),
      /** Share of a cluster's nodes alerting within the window, 0–1. */
      maxNodeShare: z.number().gt(0).max(1).default(0.5),
    })
    .default({ window: 10 * 60_000, maxAlerts: 20, maxNodeShare: 0.5 }),
  /** How long a delivered alert (fingerprint + status + start) is remembered to drop its repeats. */
  dedupeFor: Duration.default(24 * 3_600_000),
  /** Runs waiting per cluster; more are refused (queue-full) rather than piling up. */
  maxQueue: z.number().int().min(1).max(10_000).default(50),
});
export type PolicyConfig = z.infer<typeof PolicyConfig>;

export const ApprovalConfig = z.strictObject({
  required: z.number().int().min(1).max(10).default(1),
  ttl: Duration.default(3_600_000),
});
export type ApprovalConfig = z.infer<typeof ApprovalConfig>;

export const NotifyTarget = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  format: z.enum(["json", "slack"]).default("json"),
  events: z
    .array(
      z.enum(["needs-human", "approval-requested", "done", "failed", "rollback-incomplete", "storm-pause"]),
    )
    .optional(),
});
export type NotifyTarget = z.infer<typeof NotifyTarget>;

export const RulesFile = z.strictObject({
  version: z.literal(1),
  rules: z.array(Rule).default([]),
  sweeps: z.array(Sweep).default([]),
  findings: z.array(FindingRule).default([]),
  policy: PolicyConfig.default(PolicyConfig.parse({})),
  approvals: ApprovalConfig.default(ApprovalConfig.parse({})),
  notify: z.array(NotifyTarget).default([]),
});
export type RulesFile = z.infer<typeof RulesFile>;
export type RulesInput = z.input<typeof RulesFile>;
