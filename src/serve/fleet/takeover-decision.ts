/**
 * What a worker may do with a run whose worker died, from that run's journal alone (as the
 * database has it: never behind what reached a node, because every step's start is committed
 * before its first command is sent). Pure.
 */
import type { JournalEntry } from "../../engine/journal.js";
import type { Step } from "../../engine/model.js";
import { stepsStillInPlace } from "../../engine/undo-plan.js";

export type TakeoverDecision =
  /** The run changed nothing that is still in place: it is ended, nothing is sent. */
  | { kind: "nothing"; outcome: "interrupted"; message: string }
  /** Every step still in place has a known state: undo them (the engine's undo, unattended). */
  | { kind: "roll-back"; outcome: "interrupted"; message: string; inPlace: string[] }
  /** Something may or may not have reached a node: nothing is sent, a human decides. */
  | { kind: "page"; outcome: "rollback-incomplete"; message: string; inFlight: string[] };

export function decideTakeover(entries: readonly JournalEntry[], deadWorker: string): TakeoverDecision {
  const died = `its worker ${deadWorker} stopped beating`;
  const start = entries.find((e) => e.type === "run-start");
  if (start?.type === "run-start" && start.mode === "undo") {
    const inFlight = unended(entries, "undo-start", "undo-end");
    return {
      kind: "page",
      outcome: "rollback-incomplete",
      inFlight,
      message: `${died} during an undo${inFlight.length ? ` (undo of ${inFlight.join(", ")} in flight)` : ""}; nothing was sent again: check the cluster, then run pvefix undo ${start.undoOf ?? "<run>"} again`,
    };
  }
  const decision = entries.findLast((e) => e.type === "decision" && e.plan);
  const plan = decision?.type === "decision" ? decision.plan : undefined;
  if (!plan) {
    return {
      kind: "nothing",
      outcome: "interrupted",
      message: `${died} before it had a plan: nothing changed`,
    };
  }
  const byId = new Map<string, Step>(plan.steps.map((s) => [s.id, s]));
  const steps = unended(entries, "step-start", "step-end");
  const undos = unended(entries, "undo-start", "undo-end");
  // An undo in flight in the run's own rollback is as unknown as a step in flight.
  const unsafe = [
    ...steps.filter((id) => byId.get(id)?.idempotent !== true),
    ...undos.filter((id) => !steps.includes(id)),
  ];
  if (unsafe.length > 0) {
    return {
      kind: "page",
      outcome: "rollback-incomplete",
      inFlight: unsafe,
      message: `${died} while ${unsafe.join(", ")} was in flight: it may or may not have reached the node, so nothing was sent again and nothing was undone; check the node, then run pvefix undo ${start?.type === "run-start" ? start.runId : "<run>"}`,
    };
  }
  const inPlace = stepsStillInPlace(plan.steps, entries).map((s) => s.id);
  if (inPlace.length === 0) {
    return { kind: "nothing", outcome: "interrupted", message: `${died}; no change of it is in place` };
  }
  return {
    kind: "roll-back",
    outcome: "interrupted",
    inPlace,
    message: `${died}; rolling back ${inPlace.join(", ")} from the journal`,
  };
}

/** Ids of `open` entries with no `close` entry after them, in order. */
function unended(
  entries: readonly JournalEntry[],
  open: "step-start" | "undo-start",
  close: "step-end" | "undo-end",
): string[] {
  const state = new Map<string, boolean>();
  for (const e of entries) {
    if (e.type === open) state.set(e.stepId, true);
    if (e.type === close) state.set(e.stepId, false);
  }
  return [...state].filter(([, open]) => open).map(([id]) => id);
}
