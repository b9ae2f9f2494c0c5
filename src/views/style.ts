/** Text styling: colors only when asked for, and the symbols every text view shares. */
import { styleText } from "node:util";
import type { Risk, Severity, StepStatus } from "../engine/model.js";
import type { ViewOptions } from "./format.js";

type StyleFormat = Parameters<typeof styleText>[0];
/** One named style (`red`, `bold`…); a painter also takes a list of them. */
export type Style = Extract<StyleFormat, string>;
export type Paint = (format: StyleFormat, text: string) => string;

/** A painter that styles with `styleText` when color is on, and returns the text as is otherwise. */
export function painter(opts: ViewOptions): Paint {
  // The CLI decides about color (flags, NO_COLOR, TTY); the view must not second-guess it.
  return opts.color
    ? (format, text) => styleText(format, text, { validateStream: false })
    : (_format, text) => text;
}

/**
 * Risk symbols, in the spirit of Terraform's `+ ~ -`:
 * `+` safe (runs without asking), `~` guarded (asks yes/no), `!` dangerous (asks for the node name).
 */
export const RISK_SYMBOL: Record<Risk, string> = { safe: "+", guarded: "~", dangerous: "!" };
export const RISK_COLOR: Record<Risk, Style> = { safe: "green", guarded: "yellow", dangerous: "red" };
export const RISK_LEGEND =
  "+ safe: runs without asking · ~ guarded: asks yes/no · ! dangerous: asks for the node name";

export const STATUS_SYMBOL: Record<StepStatus, string> = {
  pending: "·",
  done: "✔",
  failed: "✖",
  skipped: "-",
  undone: "↺",
  "undo-failed": "‼",
};
export const STATUS_COLOR: Record<StepStatus, Style> = {
  pending: "dim",
  done: "green",
  failed: "red",
  skipped: "dim",
  undone: "cyan",
  "undo-failed": "red",
};

export const SEVERITY_ORDER: readonly Severity[] = ["critical", "warning", "info"];
export const SEVERITY_SYMBOL: Record<Severity, string> = { critical: "✖", warning: "!", info: "i" };
export const SEVERITY_COLOR: Record<Severity, Style> = { critical: "red", warning: "yellow", info: "cyan" };

/** Prefix every line of `text`; the first line may get a different prefix (a bullet, a symbol). */
export function indent(text: string, prefix: string, first = prefix): string {
  return text
    .split("\n")
    .map((line, i) => `${i === 0 ? first : prefix}${line}`.trimEnd())
    .join("\n");
}

/** Keep the first `max` lines and say how many were left out. */
export function truncateLines(text: string, max: number): string {
  const lines = text.replace(/\n$/, "").split("\n");
  if (lines.length <= max) return lines.join("\n");
  return [...lines.slice(0, max), `… ${lines.length - max} more lines`].join("\n");
}

/** `30 s`, `1500 ms`: waits and timeouts as a reader says them. */
export function duration(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${Math.round(ms)} ms`;
}
