/**
 * The runbook model. A runbook is metadata (which documents it), a zod parameter schema,
 * a probe that gathers typed facts (read-only), and a pure `decide(params, facts)`.
 * `decide` performs no I/O: the same params and facts always give the same decision.
 */
import type { z } from "zod";
import type { CommandResult } from "../transport/types.js";
import type { Check, Decision, Finding, Risk, Step, UndoGuard } from "./model.js";

/** Where a step's undo stands in the undo of its run. */
export interface UndoContext {
  /** The run being undone. */
  runId: string;
  /** Steps whose undo runs before this one, in the order they run. */
  before: readonly Step[];
}

export interface RunbookMeta {
  id: string;
  /** `diagnostic`: probes and findings only, it never plans a step. @default "remedy" */
  kind?: "remedy" | "diagnostic";
  summary: string;
  description: string;
  /** The highest risk of any step this runbook can plan. */
  risk: Risk;
  /** `eligible`: unattended mode may run it when every planned step is `safe`. */
  unattended: "eligible" | "never";
  undo: "full" | "partial" | "none";
  /** What it checks before acting (one line each). */
  checks: string[];
  /** What it asks the operator, and when. */
  asks: string[];
  /** What it changes, and where. */
  changes: string[];
  /** How each change is undone. */
  undoes: string[];
  /** Every refusal code it can return (a code of the catalogue, src/kit/refusals) and when. */
  refuses: Readonly<Record<string, string>>;
  /**
   * Decisions no lab state can reach (a refusal code of `refuses`, or `nothing-to-do`), each with
   * why: the contract test demands a lab scenario for every other one. The docs list them.
   */
  labUnreachable?: Readonly<Partial<Record<string, string>>>;
  notes?: string[];
  seeAlso?: string[];
}

export interface RunbookExample {
  /** Named as an intent: "Unlock CT 100 left locked by a killed vzdump". */
  intent: string;
  params: Record<string, string | number | boolean>;
}

/** Read-only access to the cluster for probes, detectors and postconditions. */
export interface ProbeContext {
  /** Node names from the inventory, in inventory order. */
  readonly nodes: readonly string[];
  readonly cluster: string;
  /** pvefix's own state directory (journals of earlier runs), when the caller has one. */
  readonly stateDir: string | null;
  /**
   * Run a read-only command. Connection failures are retried (p-retry); the result is recorded
   * as evidence. Never use this for anything that changes the node. `fresh` runs it again even
   * in a memoizing sweep (for samples over time). Reads ready at the same moment share one round
   * trip and run one after another on the node; `alone` gives a slow command (PVE's Perl tools
   * start in 0.3–1 s) a channel of its own, so it runs beside the others instead of before them.
   */
  run(
    node: string,
    command: string,
    options?: { timeoutMs?: number; fresh?: boolean; alone?: boolean },
  ): Promise<CommandResult>;
  /** `cat` a file; `null` when it does not exist. Throws ProbeError on other failures. */
  readFile(node: string, path: string): Promise<string | null>;
  /** The first node that answers (for cluster-wide files in /etc/pve). */
  anyNode(): Promise<string>;
  /** Nodes that answered a trivial command, and those that did not. */
  reachable(): Promise<{ up: string[]; down: string[] }>;
}

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export type CheckFn = (ctx: ProbeContext, check: Check) => Promise<CheckResult>;

export interface Runbook<
  P extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>,
  F = unknown,
> {
  meta: RunbookMeta;
  params: P;
  examples: RunbookExample[];
  /** Gather facts. Read-only. */
  probe(ctx: ProbeContext, params: z.output<P>): Promise<F>;
  /** Pure. */
  decide(params: z.output<P>, facts: F): Decision;
  /** The facts a plan relies on (hashed into its fingerprint). Leave out volatile values. @default all facts */
  stableFacts?(facts: F): unknown;
  /**
   * Top-level fact keys read on the operator's machine (a `--file`), not on the cluster: a saved
   * plan refused because only these changed says the local file changed, not the cluster.
   */
  localFacts?: string[];
  /**
   * Undo's guard, pure like `decide`: on the facts `probe` finds now, may `step` of an earlier run
   * be undone, and at which gate? `undo.before` are the steps whose undo runs first in the same
   * undo, `undo.runId` the run being undone.
   * @default no guard of its own: the undo asks at the step's gate, files are still compared
   */
  guardUndo?(params: z.output<P>, facts: F, step: Step, undo: UndoContext): UndoGuard;
  /** Postconditions this runbook's plans may reference by name. */
  checks?: Record<string, CheckFn>;
  /** `diagnose`: look for this problem across the cluster. */
  detect?(ctx: ProbeContext): Promise<Finding[]>;
}

/** Identity helper that keeps the generic types of a runbook definition. */
export function defineRunbook<P extends z.ZodType<Record<string, unknown>>, F>(
  runbook: Runbook<P, F>,
): Runbook<P, F> {
  return runbook;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds runbooks of different param/fact types.
export type AnyRunbook = Runbook<any, any>;
