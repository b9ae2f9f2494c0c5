/** `pvefix plan`: probe and decide. Changes nothing, writes no journal. */
import { type EngineListener, EventStream } from "../events.js";
import { parseParams } from "../params.js";
import { type Planned, planRunbook } from "../plan.js";
import { createProbeContext } from "../probe-context.js";
import type { AnyRunbook } from "../runbook.js";
import type { ClusterTarget } from "./frame.js";

export async function planOnly(
  options: ClusterTarget & {
    stateDir?: string;
    runbook: AnyRunbook;
    rawParams: Record<string, unknown>;
    listener?: EngineListener;
  },
): Promise<Planned> {
  const params = parseParams(options.runbook, options.rawParams);
  const events = new EventStream(null, options.listener);
  const ctx = createProbeContext({
    ...options,
    memoize: true,
    onCommand: (result) => events.emit({ type: "command", phase: "probe", result }),
  });
  const runbook = options.runbook.meta.id;
  events.emit({ type: "probe-start", runbook });
  const planned = await planRunbook({ runbook: options.runbook, params, ctx });
  events.emit({ type: "probe-end", runbook, ok: planned.kind !== "refusal" });
  return planned;
}
