/**
 * What the policy remembers across runs: pauses, per-target attempts and last starts, the storm
 * window of each cluster, the alerts already seen. A plain value (JSON), so a store can keep it
 * in a file or in a database row and the policy stays pure.
 */
import { z } from "zod";

export const Pause = z.object({
  by: z.string(),
  reason: z.string(),
  at: z.number(),
});
export type Pause = z.infer<typeof Pause>;

export const TargetMemory = z.object({
  /** Unattended attempts since the last verified success (a run that ended `done`). */
  attempts: z.number().int().nonnegative(),
  lastStartAt: z.number().nullable(),
  lastOutcome: z.string().nullable(),
  lastRunId: z.string().nullable(),
});
export type TargetMemory = z.infer<typeof TargetMemory>;

export const PolicyState = z.object({
  version: z.literal(1),
  paused: z.object({ all: Pause.nullable(), clusters: z.record(z.string(), Pause) }),
  targets: z.record(z.string(), TargetMemory),
  /** Per cluster, the firing alerts inside the storm window: when, and which node they named. */
  windows: z.record(z.string(), z.array(z.object({ at: z.number(), node: z.string().nullable() }))),
  /** Dedupe: key of a delivered alert → when it was first seen. */
  seen: z.record(z.string(), z.number()),
});
export type PolicyState = z.infer<typeof PolicyState>;

export function emptyPolicyState(): PolicyState {
  return { version: 1, paused: { all: null, clusters: {} }, targets: {}, windows: {}, seen: {} };
}

/** The most alerts remembered for dedupe, whatever their age: memory stays flat under any storm. */
export const MAX_SEEN = 4096;
/** The most targets remembered; the ones idle longest are forgotten first (their attempts were reset or capped long ago). */
export const MAX_TARGETS = 4096;
