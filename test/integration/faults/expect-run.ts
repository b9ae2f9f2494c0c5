/**
 * The checks every fault test repeats: the journal trail of a step that failed and was undone, the
 * bytes of a file before and after (on the node and in the journaled backup), and a rerun that
 * converges.
 */
import { expect } from "vitest";
import type { JournalEntry } from "../../../src/engine/journal.js";
import { type ServedCluster, sha256, sha256OnNode, stepTrail } from "../served-lab.js";

type RunOptions = Parameters<ServedCluster["run"]>[0];

/**
 * The trail of a run whose one step failed and was undone completely: it ends rolled back, exit 1.
 * `gated`: the step asked first and was approved.
 */
export function rolledBackTrail(stepId: string, options: { gated?: boolean } = {}): string[] {
  return [
    ...(options.gated ? [`gate:${stepId}:approved`] : []),
    `start:${stepId}`,
    `end:${stepId}:failed`,
    `undo:${stepId}`,
    `undo-end:${stepId}:ok`,
    "run-end:failed-rolled-back:1",
  ];
}

/** The run's step `stepId` failed and was undone completely, and nothing else ran. */
export function expectRolledBack(
  entries: JournalEntry[],
  stepId: string,
  options: { gated?: boolean } = {},
): void {
  expect(stepTrail(entries)).toEqual(rolledBackTrail(stepId, options));
}

/**
 * `path` on `node` holds the bytes it held before the run (`before`, a sha256), and the run's
 * journaled backup holds those same bytes. Returns the backup entry.
 */
export async function expectBytesAsBefore(
  bed: ServedCluster,
  entries: JournalEntry[],
  where: { node: string; path: string; before: string },
): Promise<Extract<JournalEntry, { type: "backup" }>> {
  expect(await sha256OnNode(bed.labDir, where.node, where.path)).toBe(where.before);
  const backup = entries.find(
    (e): e is Extract<JournalEntry, { type: "backup" }> => e.type === "backup" && e.path === where.path,
  );
  expect(backup?.sha256).toBe(where.before);
  expect(sha256(Buffer.from(backup?.contentBase64 ?? "", "base64"))).toBe(where.before);
  return backup!;
}

/** Run again until nothing is left to do (at most three runs); the outcomes in order. */
export async function converge(bed: ServedCluster, options: RunOptions): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < 3; i++) {
    const result = await bed.run(options);
    outcomes.push(result.outcome);
    if (result.outcome !== "done") break;
  }
  return outcomes;
}
