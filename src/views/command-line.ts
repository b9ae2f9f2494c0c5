/** The exact `pvefix …` command lines views print, built from params with the one shell quoter. */
import { flagName } from "../engine/params.js";
import { shellQuote } from "../shell/quote.js";

/**
 * Params as flags: `--vmid 100 --storage nfs-iso`. `true` is a bare flag and `false` the
 * `--no-` form (commander's convention); absent values are left out; arrays repeat the flag.
 */
export function paramFlags(params: Record<string, unknown>): string[] {
  return Object.entries(params).flatMap(([key, value]) => flagWords(key, value));
}

function flagWords(key: string, value: unknown): string[] {
  const flag = flagName(key);
  if (value === undefined || value === null) return [];
  if (value === true) return [flag];
  if (value === false) return [`--no-${flag.slice(2)}`];
  if (Array.isArray(value)) return value.flatMap((item) => flagWords(key, item));
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return [`${flag} ${shellQuote(text)}`];
}

/** `pvefix <verb> <runbook> <flags> <extra>` as one line the operator can paste. */
export function pvefixCommand(
  verb: string,
  runbook: string,
  params: Record<string, unknown>,
  extra: string[] = [],
): string {
  return ["pvefix", verb, shellQuote(runbook), ...paramFlags(params), ...extra].join(" ");
}
