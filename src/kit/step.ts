/**
 * A step builder with its own words: what it changes and how it is undone (the runbook's docs
 * are generated from the builders it declares) and the checks its steps name.
 */
import type { StepInput } from "../engine/model.js";
import type { CheckDef } from "./check.js";

export interface StepWords {
  /** Lines for the runbook's "What it changes". */
  readonly changes: readonly string[];
  /** Lines for "How it undoes". */
  readonly undoes: readonly string[];
  /** Every check the built steps may name in `verify`. */
  readonly checks?: readonly CheckDef[];
}

export type StepBuilder<A extends unknown[]> = ((...args: A) => StepInput) & StepWords;

// biome-ignore lint/suspicious/noExplicitAny: a runbook lists builders of different argument types.
export type AnyStepBuilder = StepBuilder<any[]>;

export function defineStep<A extends unknown[]>(
  words: StepWords,
  build: (...args: A) => StepInput,
): StepBuilder<A> {
  return Object.assign((...args: A) => build(...args), words);
}

/**
 * Words for a builder that plans several steps at once (a fixed sequence, or steps with warnings):
 * the function is kept as it is, with its words beside it so a runbook can list it in `steps`.
 */
// biome-ignore lint/suspicious/noExplicitAny: any function of any arguments may carry words.
export function withWords<F extends (...args: any[]) => unknown>(words: StepWords, build: F): F & StepWords {
  return Object.assign(((...args: Parameters<F>) => build(...args)) as F, words);
}
