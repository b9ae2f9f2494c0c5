/** What each run outcome means to the operator, and the exit codes documented for every runbook. */
import type { RunOutcome } from "../engine/model.js";
import type { Style } from "./style.js";

export const OUTCOME_TEXT: Record<RunOutcome, { symbol: string; color: Style; meaning: string }> = {
  done: { symbol: "✔", color: "green", meaning: "done" },
  "nothing-to-do": { symbol: "✔", color: "green", meaning: "nothing to do" },
  undone: { symbol: "↺", color: "cyan", meaning: "undone" },
  refused: { symbol: "✖", color: "red", meaning: "refused by a guard" },
  declined: { symbol: "✖", color: "yellow", meaning: "declined at a gate and rolled back" },
  "failed-rolled-back": { symbol: "✖", color: "red", meaning: "failed and rolled back" },
  "needs-human": { symbol: "?", color: "yellow", meaning: "needs a human" },
  "rollback-incomplete": { symbol: "‼", color: "red", meaning: "rollback incomplete: manual attention" },
  interrupted: { symbol: "‼", color: "red", meaning: "interrupted: manual attention" },
};

export interface ExitCodeDoc {
  code: number;
  meaning: string;
  /** The run outcomes that end with this code (bad input is an error, not an outcome). */
  outcomes: RunOutcome[];
}

/** Exit codes 0–5 of the CLI contract, as every runbook page documents them. */
export const EXIT_CODES: readonly ExitCodeDoc[] = [
  { code: 0, meaning: "done, nothing to do, or undone", outcomes: ["done", "nothing-to-do", "undone"] },
  {
    code: 1,
    meaning: "failed, or declined at a gate, and rolled back: every step done was undone",
    outcomes: ["failed-rolled-back", "declined"],
  },
  { code: 2, meaning: "bad input (parameters, inventory, plan file): nothing ran", outcomes: [] },
  { code: 3, meaning: "refused by a guard: nothing was changed", outcomes: ["refused"] },
  {
    code: 4,
    meaning: "needs a human: unattended mode stopped before the first change and printed the plan",
    outcomes: ["needs-human"],
  },
  {
    code: 5,
    meaning: "rollback incomplete or interrupted: manual attention; `pvefix show <run-id>` says what is left",
    outcomes: ["rollback-incomplete", "interrupted"],
  },
];
