/**
 * An approval request: a saved plan waiting for people. Pure rules over a plain value: bound to
 * the plan's hash, expiring and failing closed, four-eyes (the requester never approves, each
 * approver counts once, `required` approvers), and the typed node name for dangerous steps.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ServeError } from "../errors.js";

export const Decision = z.object({
  by: z.string(),
  verdict: z.enum(["approve", "deny"]),
  at: z.number(),
  /** The typed confirmation given with an approval of dangerous steps. */
  confirm: z.string().optional(),
});
export type Decision = z.infer<typeof Decision>;

export const ApprovalStatus = z.enum(["pending", "approved", "denied", "expired", "applying", "applied"]);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const Approval = z.object({
  id: z.string().regex(/^[a-z0-9-]{6,64}$/),
  runbook: z.string(),
  params: z.record(z.string(), z.unknown()),
  cluster: z.string(),
  /** sha256 of the saved plan's canonical JSON: what the approvers saw is what runs, or nothing runs. */
  planHash: z.string(),
  /** The facts' fingerprint the plan was made from (apply refuses a stale plan). */
  fingerprint: z.string(),
  /** The trigger's policy key (runbook|cluster|target): its cooldown and attempts count this run too. */
  key: z.string(),
  requestedBy: z.string(),
  reason: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  required: z.number().int().min(1),
  /** Nodes of the plan's dangerous steps, in order: an approval must type them (comma-separated). */
  dangerousNodes: z.array(z.string()),
  decisions: z.array(Decision),
  status: ApprovalStatus,
  runId: z.string().nullable(),
  outcome: z.string().nullable(),
  /** The plan as the ticket shows it (`plan -o md`). */
  markdown: z.string(),
});
export type Approval = z.infer<typeof Approval>;

/** Stable JSON: keys sorted at every level, so equal plans hash equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function planHash(plan: unknown): string {
  return createHash("sha256").update(canonical(plan)).digest("hex");
}

/** The status an approval has at `now`: a pending one past its time is expired, whatever its votes. */
export function effectiveStatus(approval: Approval, now: number): ApprovalStatus {
  return approval.status === "pending" && now >= approval.expiresAt ? "expired" : approval.status;
}

function refuse(message: string, hint?: string): never {
  throw new ServeError("PVEFIX_APPROVAL_REFUSED", message, hint);
}

/**
 * One person's approve or deny. Returns the approval as it is after it; throws (changing
 * nothing) when the decision is not allowed.
 */
export function decide(
  approval: Approval,
  input: {
    by: string;
    verdict: "approve" | "deny";
    confirm?: string | undefined;
    planHash?: string | undefined;
  },
  now: number,
): Approval {
  const status = effectiveStatus(approval, now);
  if (status === "expired") {
    refuse(
      `✖ Approval ${approval.id} expired at ${new Date(approval.expiresAt).toISOString()}: nothing will run`,
      "the alert or a new POST /v1/runs makes a fresh plan to approve",
    );
  }
  if (status !== "pending") refuse(`✖ Approval ${approval.id} is ${status}, not pending`);
  if (input.planHash !== undefined && input.planHash !== approval.planHash) {
    refuse(
      `✖ Approval ${approval.id} is for plan ${approval.planHash.slice(0, 12)}, not ${input.planHash.slice(0, 12)}`,
      "look at the plan again: the one you reviewed is not the one waiting",
    );
  }
  if (approval.decisions.some((d) => d.by === input.by))
    refuse(`✖ ${input.by} has already decided on ${approval.id}`);
  if (input.verdict === "deny") {
    return {
      ...approval,
      status: "denied",
      decisions: [...approval.decisions, { by: input.by, verdict: "deny", at: now }],
    };
  }
  if (input.by === approval.requestedBy) {
    refuse(
      `✖ ${input.by} requested ${approval.id} and cannot approve it (four eyes)`,
      "another approver must approve",
    );
  }
  if (approval.dangerousNodes.length > 0) {
    const want = approval.dangerousNodes.join(",");
    const typed = (input.confirm ?? "").trim().replace(/\s*,\s*/g, ",");
    if (typed !== want) {
      refuse(
        `✖ The plan has dangerous steps on ${want}: type ${want} to approve them (got ${input.confirm ? JSON.stringify(input.confirm) : "nothing"})`,
        `pvefix approve ${approval.id} --confirm ${want}`,
      );
    }
  }
  const decisions: Decision[] = [
    ...approval.decisions,
    { by: input.by, verdict: "approve", at: now, ...(input.confirm ? { confirm: input.confirm } : {}) },
  ];
  const approvals = decisions.filter((d) => d.verdict === "approve").length;
  return { ...approval, decisions, status: approvals >= approval.required ? "approved" : "pending" };
}
