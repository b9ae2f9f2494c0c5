/** `pvefix run`: probe, decide and apply in one run. */
import type { Gate } from "../apply.js";
import type { EngineListener } from "../events.js";
import type { RunJournals } from "../journal-store.js";
import { parseParams } from "../params.js";
import { planRunbook } from "../plan.js";
import type { AnyRunbook } from "../runbook.js";
import { executePlanned } from "./execute.js";
import { type ClusterTarget, type RunResult, withRun } from "./frame.js";

export interface RunOptions extends ClusterTarget {
  runbook: AnyRunbook;
  rawParams: Record<string, unknown>;
  stateDir: string;
  mode: "interactive" | "unattended";
  gate: Gate;
  listener?: EngineListener;
  signal?: AbortSignal;
  /** What started the run and the policy's verdict, for the journal (`pvefix serve`). */
  trigger?: Record<string, unknown>;
  /** Other runs' journals and the mirror of this one (a fleet's PostgreSQL); the state directory by default. */
  journals?: RunJournals;
}

export async function runRunbook(options: RunOptions): Promise<RunResult> {
  const params = parseParams(options.runbook, options.rawParams);
  return withRun(options, options.runbook, params, options.mode, async (ex) => {
    const runbook = options.runbook.meta.id;
    ex.events.emit({ type: "probe-start", runbook });
    const planned = await planRunbook({ runbook: options.runbook, params, ctx: ex.checkContext });
    ex.events.emit({ type: "probe-end", runbook, ok: planned.kind !== "refusal" });
    ex.events.emit({ type: "facts", facts: planned.facts });
    return executePlanned(options, planned, ex);
  });
}
