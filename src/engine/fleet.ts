/**
 * Diagnose over several clusters in one command (`pvefix diagnose -i a.yaml -i b.yaml`,
 * `--inventory-dir DIR`): each cluster is swept exactly as `diagnoseCluster` sweeps one, at most
 * `concurrency` clusters at a time, so a fleet does not open every node's connection at once. A
 * cluster that cannot be opened (its inventory does not load, a cluster name given twice) is
 * reported with why, and the others are still swept: one bad file never hides another cluster's
 * critical finding. The fleet's status is the worst of its clusters' (DIAGNOSIS_PRECEDENCE).
 */
import { PvefixError } from "../errors/pvefix-error.js";
import { type DiagnoseOptions, type Diagnosis, type DiagnosisStatus, diagnoseCluster } from "./diagnose.js";
import type { EngineListener } from "./events.js";
import type { ClusterTarget } from "./session.js";

/** One cluster of the fleet: where it comes from, and how to reach it. */
export interface FleetMember {
  /** The inventory file (or what else names the cluster), as the operator gave it. */
  source: string;
  /** Opens the cluster's transport; a PvefixError here (a bad inventory) is reported, not thrown. */
  open(): Promise<ClusterTarget>;
}

/** A cluster that was swept: its diagnosis, as one `diagnose` gives it. */
export interface FleetSwept {
  source: string;
  cluster: string;
  status: DiagnosisStatus;
  diagnosis: Diagnosis;
}

/** A cluster that could not be swept at all: nothing of it was checked. */
export interface FleetNotSwept {
  source: string;
  /** Null when the inventory did not load far enough to name it. */
  cluster: string | null;
  status: "incomplete";
  error: { code: string; message: string };
}

export type FleetEntry = FleetSwept | FleetNotSwept;

export interface FleetDiagnosis {
  generatedAt: string;
  /** The worst of the clusters' statuses. */
  status: DiagnosisStatus;
  /** In the order the members were given, whatever order they finished in. */
  clusters: FleetEntry[];
}

export interface FleetOptions extends Pick<DiagnoseOptions, "runbooks" | "hiddenBy" | "now"> {
  members: readonly FleetMember[];
  /** Clusters swept at once. */
  concurrency: number;
  /** Each cluster's events, told apart by its member. */
  listenerFor?: (member: FleetMember) => EngineListener | undefined;
}

/** Worst first: a sweep that did not see everything cannot promise that nothing worse is there. */
export const DIAGNOSIS_PRECEDENCE: readonly DiagnosisStatus[] = [
  "incomplete",
  "critical",
  "findings",
  "clear",
];

export function worstStatus(statuses: readonly DiagnosisStatus[]): DiagnosisStatus {
  return DIAGNOSIS_PRECEDENCE.find((s) => statuses.includes(s)) ?? "clear";
}

type Opened = { member: FleetMember; target: ClusterTarget } | { entry: FleetNotSwept };

function notSwept(source: string, cluster: string | null, error: { code: string; message: string }) {
  return { source, cluster, status: "incomplete" as const, error };
}

/** A coded error meant for the operator becomes the cluster's entry; anything else is a bug and is thrown. */
function asReported(error: unknown): { code: string; message: string } {
  if (error instanceof PvefixError && !error.internal) return { code: error.code, message: error.message };
  throw error;
}

export async function diagnoseFleet(options: FleetOptions): Promise<FleetDiagnosis> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number of at least 1, got ${options.concurrency}`);
  }
  const now = options.now ?? (() => new Date());
  const generatedAt = now().toISOString();
  // Opening reads files and connects nothing: done for all first and in order, so which of two
  // files naming the same cluster is the duplicate does not depend on which sweep ends first.
  const opened: Opened[] = [];
  const seen = new Map<string, string>();
  for (const member of options.members) {
    let target: ClusterTarget;
    try {
      target = await member.open();
    } catch (error) {
      opened.push({ entry: notSwept(member.source, null, asReported(error)) });
      continue;
    }
    const first = seen.get(target.cluster);
    if (first !== undefined) {
      await target.transport.close();
      opened.push({
        entry: notSwept(member.source, target.cluster, {
          code: "PVEFIX_DUPLICATE_CLUSTER",
          message: `cluster "${target.cluster}" is already swept from ${first}: one inventory per cluster`,
        }),
      });
      continue;
    }
    seen.set(target.cluster, member.source);
    opened.push({ member, target });
  }

  const entries: Array<FleetEntry | undefined> = opened.map((o) => ("entry" in o ? o.entry : undefined));
  const queue = opened.flatMap((o, index) => ("entry" in o ? [] : [{ ...o, index }]));
  const sweep = async ({ member, target, index }: (typeof queue)[number]): Promise<void> => {
    try {
      const listener = options.listenerFor?.(member);
      const diagnosis = await diagnoseCluster({
        ...target,
        runbooks: options.runbooks,
        ...(options.hiddenBy ? { hiddenBy: options.hiddenBy } : {}),
        ...(listener ? { listener } : {}),
        now,
      });
      entries[index] = {
        source: member.source,
        cluster: target.cluster,
        status: diagnosis.status,
        diagnosis,
      };
    } catch (error) {
      entries[index] = notSwept(member.source, target.cluster, asReported(error));
    } finally {
      // Done with this cluster: its connections go before the next cluster opens its own.
      await target.transport.close();
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, queue.length) }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) await sweep(next);
      }),
    );
  } finally {
    // Only after a bug in a sweep: the clusters it left unswept still close their transports.
    await Promise.all(queue.splice(0).map((q) => q.target.transport.close()));
  }
  const clusters = entries.filter((e): e is FleetEntry => e !== undefined);
  return { generatedAt, status: worstStatus(clusters.map((e) => e.status)), clusters };
}
