/**
 * Diagnose: every runbook's detector over the cluster, concurrently. Reachability is checked
 * once first: each node that did not answer becomes one finding of its own, and the detectors
 * get a context that fails at once for those nodes, so they report what the others show. A
 * detector that fails becomes a failure of its own instead of hiding the others.
 */
import { TransportError } from "../transport/errors.js";
import { type EngineListener, EventStream } from "./events.js";
import type { Finding, Severity } from "./model.js";
import { createProbeContext } from "./probe-context.js";
import { answeringContext, checkReachability, type NodeDown } from "./reachability.js";
import type { AnyRunbook, ProbeContext } from "./runbook.js";
import type { ClusterTarget } from "./session.js";

export const DIAGNOSIS_SCHEMA_VERSION = 1;

const ORDER = { critical: 0, warning: 1, info: 2 } as const;

/** A node that could not be checked, and what that hides. */
export interface NodeUnreachable extends NodeDown {
  severity: Severity;
  /** What was not checked because of it ("CT 101, VM 300"), when known. */
  hides: string | null;
}

export interface DetectorFailure {
  detector: string;
  error: string;
}

/**
 * - `clear`: every node answered, every detector finished, nothing found.
 * - `findings`: warnings or infos only.  - `critical`: at least one critical finding.
 * - `incomplete`: a node did not answer (or its host key changed) or a detector failed.
 */
export type DiagnosisStatus = "clear" | "findings" | "critical" | "incomplete";

export interface Diagnosis {
  cluster: string;
  generatedAt: string;
  nodes: { up: string[]; down: string[] };
  findings: Finding[];
  unreachable: NodeUnreachable[];
  failures: DetectorFailure[];
  status: DiagnosisStatus;
  /** Set by the caller when the diagnosis was read from reports (`diagnose --from`), not the cluster. */
  report?: DiagnosisReport;
}

export interface DiagnosisReport {
  /** Whose view each report is and when it was taken (`date -R`, null when the report has none). */
  origins: Array<{ node: string; time: string | null; files: string[] }>;
  /** Commands the detectors asked that no report answered: the checks a report could not make. */
  notAnswered: Array<{ node: string; command: string }>;
}

/** What a node that did not answer hides, and so how bad not seeing it is. */
export type HiddenBy = (
  ctx: ProbeContext,
  node: string,
) => Promise<{ severity: Severity; hides: string | null }>;

export interface DiagnoseOptions extends ClusterTarget {
  runbooks: readonly AnyRunbook[];
  listener?: EngineListener;
  /** @default warning, nothing named */
  hiddenBy?: HiddenBy;
  now?: () => Date;
}

export async function diagnoseCluster(options: DiagnoseOptions): Promise<Diagnosis> {
  const now = options.now ?? (() => new Date());
  const generatedAt = now().toISOString();
  // No journal: the events reach the listeners only.
  const events = new EventStream(null, options.listener);
  // One sweep reads one snapshot: detectors sharing probes (.vmlist, storage.cfg, …) pay once.
  const base = createProbeContext({
    ...options,
    memoize: true,
    onCommand: (result) => events.emit({ type: "command", phase: "probe", result }),
  });
  const reach = await checkReachability(base, now);
  const ctx = answeringContext(base, reach, now);
  const failures: DetectorFailure[] = [];
  const perRunbook = await Promise.all(
    options.runbooks
      .filter((r) => r.detect)
      .map(async (runbook): Promise<Finding[]> => {
        events.emit({ type: "probe-start", runbook: runbook.meta.id });
        try {
          const found = await runbook.detect!(ctx);
          events.emit({ type: "probe-end", runbook: runbook.meta.id, ok: true });
          return found;
        } catch (error) {
          events.emit({ type: "probe-end", runbook: runbook.meta.id, ok: false });
          const lostNode = error instanceof TransportError ? ` (${error.node} stopped answering)` : "";
          failures.push({ detector: runbook.meta.id, error: `${(error as Error).message}${lostNode}` });
          return [];
        }
      }),
  );
  const downs = [...reach.down, ...ctx.lost];
  const hiddenBy: HiddenBy = options.hiddenBy ?? (async () => ({ severity: "warning", hides: null }));
  const unreachable = await Promise.all(
    downs.map(async (d): Promise<NodeUnreachable> => {
      // What the node hides is read from the nodes that answered; not knowing it is no reason to fail.
      const hidden = await hiddenBy(ctx, d.node).catch(() => ({ severity: "warning" as const, hides: null }));
      return { ...d, ...hidden };
    }),
  );
  const findings = perRunbook.flat().sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  return {
    cluster: options.cluster,
    generatedAt,
    nodes: {
      up: reach.up.filter((n) => !ctx.lost.some((l) => l.node === n)),
      down: downs.map((d) => d.node),
    },
    findings,
    unreachable,
    failures,
    status: diagnosisStatus(findings, unreachable, failures),
  };
}

/** Incomplete wins: a sweep that did not see every node cannot say "only warnings" or "clear". */
export function diagnosisStatus(
  findings: readonly Pick<Finding, "severity">[],
  unreachable: readonly unknown[],
  failures: readonly unknown[],
): DiagnosisStatus {
  if (unreachable.length > 0 || failures.length > 0) return "incomplete";
  if (findings.some((f) => f.severity === "critical")) return "critical";
  return findings.length > 0 ? "findings" : "clear";
}

/** The runbooks' findings only (for callers that look for one problem). */
export async function diagnose(options: DiagnoseOptions): Promise<Finding[]> {
  return (await diagnoseCluster(options)).findings;
}
