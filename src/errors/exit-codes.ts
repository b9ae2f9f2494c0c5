/**
 * The one table of exit codes (design.md): 0 done or nothing to do, 1 failed and rolled back,
 * 2 bad input, 3 refused by a guard, 4 needs a human, 5 rollback incomplete. `diagnose` says what
 * it found with codes of its own, 10–12, apart from the run codes. Errors carry theirs
 * (`PvefixError.exitCode`), run outcomes and diagnosis statuses map here.
 */
export const EXIT = { ok: 0, failed: 1, badInput: 2, refused: 3, needsHuman: 4, manual: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * A run's outcome → its exit code. The keys are the engine's `RunOutcome` (the engine checks that
 * they stay the same set); this layer sits below the engine, so it names them itself.
 */
export const OUTCOME_EXIT = {
  done: EXIT.ok,
  "nothing-to-do": EXIT.ok,
  undone: EXIT.ok,
  "failed-rolled-back": EXIT.failed,
  declined: EXIT.failed,
  refused: EXIT.refused,
  "needs-human": EXIT.needsHuman,
  "rollback-incomplete": EXIT.manual,
  interrupted: EXIT.manual,
} as const satisfies Record<string, ExitCode>;
export type Outcome = keyof typeof OUTCOME_EXIT;

/** The exit code of a run's outcome. */
export function exitCodeFor(outcome: Outcome): ExitCode {
  return OUTCOME_EXIT[outcome];
}

/**
 * `pvefix diagnose`, for cron and monitoring (docs/cli.md). When several apply the highest wins:
 * a sweep that could not see every node cannot promise that nothing worse is there.
 */
export const DIAGNOSE_EXIT = {
  clear: 0,
  findings: 10,
  critical: 11,
  incomplete: 12,
} as const;
