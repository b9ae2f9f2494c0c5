/**
 * The undo of a run as a plan, built like a forward plan: which steps are still in place, what
 * each undo runs, the gate it asks at now (the step's own, raised by the runbook's `guardUndo` on
 * fresh facts), and every file someone else changed since the run left it. Pure: the caller reads
 * the journal, probes, and reads the files as they are now.
 */
import { createTwoFilesPatch } from "diff";
import { fingerprintFacts, sha256Hex } from "./fingerprint.js";
import type { JournalEntry } from "./journal.js";
import {
  PLAN_FORMAT_VERSION,
  type Plan,
  type Refusal,
  type Risk,
  type Step,
  type UndoGuard,
} from "./model.js";
import { redact } from "./redact.js";
import { describeDrift, engineRefusal } from "./refusals.js";
import type { AnyRunbook } from "./runbook.js";

const RISK_ORDER: Risk[] = ["safe", "guarded", "dangerous"];
const higher = (a: Risk, b: Risk): Risk => (RISK_ORDER.indexOf(a) >= RISK_ORDER.indexOf(b) ? a : b);

/** Steps whose effect may still be on the cluster: done, started but never ended, or whose undo failed. */
export function stepsStillInPlace(steps: readonly Step[], entries: readonly JournalEntry[]): Step[] {
  const state = new Map<string, string>();
  for (const e of entries) {
    if (e.type === "step-start") state.set(e.stepId, "started");
    if (e.type === "step-end") state.set(e.stepId, e.status);
    if (e.type === "undo-end") state.set(e.stepId, e.ok ? "undone" : "undo-failed");
  }
  return steps.filter((s) => ["done", "started", "undo-failed"].includes(state.get(s.id) ?? ""));
}

/** A file the undo would restore, as the node has it now (`content` null when not shown: secret or unread). */
export interface FileNow {
  node: string;
  path: string;
  sha256: string | null;
  content: Buffer | null;
}

/** A file that holds neither what the run left nor what the undo would put back. */
export interface FileDrift {
  stepId: string;
  node: string;
  path: string;
  /** sha256 of what the run left ("missing" for no file); null when the journal has no record of it. */
  expected: string | null;
  /** sha256 found now; "missing" for no file. */
  found: string;
  /** Unified diff from what the run left to what is there now, when both are known and text. */
  diff: string | null;
}

export const MISSING = "missing";

/** The `undo` of an undo step: the undo plan's views leave this line out. */
export const UNDO_STEP_REASON = "an undo step; plan the runbook again to redo the change";

/** One (node, path) a restore-file undo action writes, and which step's record says what the run left. */
export interface RestoreTarget {
  /** The last step still in place that changed the file: its record is the state to expect now. */
  stepId: string;
  node: string;
  path: string;
}

/** Every file a restore in `toUndo` writes, each once, with the last in-place step that changed it. */
export function restoreTargets(runOrder: readonly Step[], toUndo: readonly Step[]): RestoreTarget[] {
  const targets = new Map<string, RestoreTarget>();
  const inPlace = new Set(toUndo.map((s) => s.id));
  for (const step of runOrder) {
    if (!inPlace.has(step.id) || step.undo.kind !== "actions") continue;
    for (const action of step.undo.actions) {
      if (action.kind !== "restore-file") continue;
      targets.set(`${step.node}\u0000${action.path}`, {
        stepId: step.id,
        node: step.node,
        path: action.path,
      });
    }
  }
  return [...targets.values()];
}

/**
 * Compare a restore target with what the run left. The file may hold the run's bytes (it is the
 * undo's to restore) or already the backup's (an earlier, interrupted undo put them back): both are
 * fine. Anything else is someone else's change, which a restore would overwrite.
 */
export function fileDrift(
  target: RestoreTarget,
  now: FileNow,
  entries: readonly JournalEntry[],
): FileDrift | null {
  const mine = (e: JournalEntry) =>
    "stepId" in e &&
    e.stepId === target.stepId &&
    "node" in e &&
    e.node === target.node &&
    "path" in e &&
    e.path === target.path;
  const left = entries.findLast((e) => e.type === "file-state" && mine(e));
  const backup = entries.findLast((e) => e.type === "backup" && mine(e));
  const found = now.sha256 ?? MISSING;
  const backupSha = backup?.type === "backup" ? (backup.existed ? backup.sha256 : MISSING) : undefined;
  if (found === backupSha) return null;
  if (left?.type === "file-state") {
    const expected = left.sha256 ?? MISSING;
    if (found === expected) return null;
    const leftText =
      left.sha256 === null
        ? ""
        : left.contentBase64 === null
          ? null
          : Buffer.from(left.contentBase64, "base64");
    const nowText = now.sha256 === null ? Buffer.alloc(0) : now.content;
    return { ...target, expected, found, diff: textDiff(target, leftText, nowText) };
  }
  // No record (a journal from before pvefix kept one, or a step cut short): the bytes a write in the
  // step itself put there are the only other state known to be the run's.
  const written = writtenBy(target, entries);
  if (written !== null && found === sha256Hex(written)) return null;
  return { ...target, expected: null, found, diff: null };
}

function writtenBy(target: RestoreTarget, entries: readonly JournalEntry[]): string | null {
  const decision = entries.find((e) => e.type === "decision" && e.plan);
  const step =
    decision?.type === "decision" ? decision.plan?.steps.find((s) => s.id === target.stepId) : undefined;
  const write = step?.actions.findLast((a) => a.kind === "write-file" && a.path === target.path);
  return write?.kind === "write-file" ? write.content : null;
}

function textDiff(target: RestoreTarget, left: Buffer | string | null, now: Buffer | null): string | null {
  if (left === null || now === null) return null;
  // Diffed redacted: a diff line (`+\tpassword x`) no longer looks like the config line it holds.
  const text = (b: Buffer | string) => redact(typeof b === "string" ? b : b.toString("utf8"));
  if ([left, now].some((b) => typeof b !== "string" && b.includes(0))) return null;
  const name = `${target.node}:${target.path}`;
  return createTwoFilesPatch(`${name} (as the run left it)`, `${name} (now)`, text(left), text(now), "", "", {
    context: 3,
  })
    .split("\n")
    .slice(1) // the "====" banner line
    .join("\n")
    .trimEnd();
}

export { describeDrift };

/** The refusal of an undo that would overwrite someone else's change without a human to ask. */
export function driftRefusal(drift: readonly FileDrift[], runId: string): Refusal {
  const [first, ...rest] = drift;
  if (!first) throw new Error("driftRefusal: no drift");
  return engineRefusal("file-changed", { runId, drift: [first, ...rest] });
}

export interface UndoPlan {
  /** The run this undoes. */
  of: string;
  /** The undo's steps in the order they run, each at the gate it asks at now. */
  plan: Plan;
  drift: FileDrift[];
  /** Set when undoing is unsafe now: a guard of the runbook said no. */
  refusal: Refusal | null;
}

export interface UndoPlanInput {
  runId: string;
  runbook: AnyRunbook;
  params: Record<string, unknown>;
  cluster: string;
  /** The run's plan. */
  original: Plan;
  /** In-place steps, in run order. */
  toUndo: readonly Step[];
  /** Fresh facts from the runbook's probe, when it has `guardUndo`. */
  facts: unknown;
  drift: readonly FileDrift[];
  now?: Date;
}

/** A refused undo runs nothing, so it is never "eligible" (the header would contradict the refusal). */
export function refusedUnattended(refusal: Refusal): Plan["unattended"] {
  return { eligible: false, reason: `refused: ${refusal.message}` };
}

export function buildUndoPlan(input: UndoPlanInput): UndoPlan {
  const { runbook, runId } = input;
  const order = [...input.toUndo].reverse();
  let refusal: Refusal | null = null;
  const steps: Step[] = [];
  const notes: string[] = [];
  order.forEach((step, i) => {
    if (step.undo.kind !== "actions") {
      notes.push(
        step.undo.kind === "none"
          ? `${step.id}: nothing to undo (${step.undo.reason})`
          : `${step.id} cannot be undone: ${step.undo.reason}`,
      );
      return;
    }
    const guard: UndoGuard = runbook.guardUndo
      ? runbook.guardUndo(input.params, input.facts, step, { runId, before: order.slice(0, i) })
      : { ok: true };
    if (!guard.ok) {
      refusal ??= guard.refusal;
      return;
    }
    const changed = input.drift.filter(
      (d) =>
        d.node === step.node &&
        step.undo.kind === "actions" &&
        step.undo.actions.some((a) => a.kind === "restore-file" && a.path === d.path),
    );
    // The runbook judges its own undo on fresh facts; someone else's change always needs a human.
    const risk = higher(guard.risk ?? step.risk, changed.length > 0 ? "guarded" : "safe");
    const warnings = [
      ...(guard.warning ? [guard.warning] : []),
      ...changed.map(
        (d) =>
          `${describeDrift(d, runId)}; the undo puts the bytes from before the run back over that change.${d.diff ? `\n${d.diff}` : ""}`,
      ),
    ];
    steps.push({
      id: step.id,
      title: `Undo: ${step.title}`,
      node: step.node,
      risk,
      reason: [step.undo.description, guard.evidence].filter(Boolean).join("; "),
      actions: step.undo.actions,
      undo: { kind: "none", reason: UNDO_STEP_REASON },
      files: [],
      verify: [],
      ...(warnings.length > 0 ? { warning: warnings.join("\n") } : {}),
    });
  });
  const risky = steps.filter((s) => s.risk !== "safe");
  const unattended: Plan["unattended"] = refusal
    ? refusedUnattended(refusal)
    : input.drift.length > 0
      ? { eligible: false, reason: `needs a human: ${input.drift.length} file(s) changed since the run` }
      : risky.length > 0
        ? {
            eligible: false,
            reason: `needs a human: ${risky.map((s) => `undo of ${s.id} is ${s.risk}`).join(", ")}`,
          }
        : { eligible: true, reason: "every undo step is safe and every guard held" };
  const stable =
    input.facts === null || input.facts === undefined
      ? null
      : runbook.stableFacts
        ? runbook.stableFacts(input.facts)
        : input.facts;
  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    runbook: runbook.meta.id,
    params: input.params,
    cluster: input.cluster,
    createdAt: (input.now ?? new Date()).toISOString(),
    summary: `Undo run ${runId}: ${input.original.summary}`,
    warnings: notes,
    steps,
    postconditions: [],
    fingerprint: fingerprintFacts(stable),
    facts: stable,
    unattended,
  };
  return { of: runId, plan, drift: [...input.drift], refusal };
}
