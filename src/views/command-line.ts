/** The exact `pvefix …` command lines views print, built from params with the one shell quoter. */
import { paramFlags } from "../engine/params.js";
import { shellQuote } from "../shell/quote.js";

export { paramFlags };

/** `pvefix <verb> <runbook> <flags> <extra>` as one line the operator can paste. */
export function pvefixCommand(
  verb: string,
  runbook: string,
  params: Record<string, unknown>,
  extra: string[] = [],
): string {
  return ["pvefix", verb, shellQuote(runbook), ...paramFlags(params), ...extra].join(" ");
}
