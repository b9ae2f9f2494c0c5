/**
 * Diagnose: every runbook's detector over the cluster, concurrently. A detector that fails
 * becomes a finding of its own instead of hiding the others.
 */
import { combineListeners, type EngineListener } from "./events.js";
import type { Finding } from "./model.js";
import { createProbeContext } from "./probe-context.js";
import type { AnyRunbook } from "./runbook.js";
import type { ClusterTarget } from "./session.js";

const ORDER = { critical: 0, warning: 1, info: 2 } as const;

export async function diagnose(
  options: ClusterTarget & { runbooks: readonly AnyRunbook[]; listener?: EngineListener },
): Promise<Finding[]> {
  const listener = combineListeners(options.listener);
  // One sweep reads one snapshot: detectors sharing probes (.vmlist, storage.cfg, …) pay once.
  const ctx = createProbeContext({
    ...options,
    memoize: true,
    onCommand: (result) => listener.onCommand({ phase: "probe", result }),
  });
  const perRunbook = await Promise.all(
    options.runbooks
      .filter((r) => r.detect)
      .map(async (runbook): Promise<Finding[]> => {
        listener.onProbeStart({ runbook: runbook.meta.id });
        try {
          const found = await runbook.detect!(ctx);
          listener.onProbeEnd({ runbook: runbook.meta.id, ok: true });
          return found;
        } catch (error) {
          listener.onProbeEnd({ runbook: runbook.meta.id, ok: false });
          return [
            {
              runbook: runbook.meta.id,
              severity: "warning",
              summary: `the ${runbook.meta.id} detector could not finish: ${(error as Error).message}`,
              params: {},
              command: `pvefix diagnose --verbose`,
            },
          ];
        }
      }),
  );
  return perRunbook.flat().sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}
