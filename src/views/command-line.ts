/** The exact `pvefix …` command lines views print, built from params with the one shell quoter. */
import { paramFlags } from "../engine/params.js";
import { shellQuote } from "../shell/quote.js";

export { paramFlags };

/** `pvefix <verb> <runbook> <flags> <extra> <target>` as one line the operator can paste. */
export function pvefixCommand(
  verb: string,
  runbook: string,
  params: Record<string, unknown>,
  extra: string[] = [],
  target = "",
): string {
  return onTarget(["pvefix", verb, shellQuote(runbook), ...paramFlags(params), ...extra].join(" "), target);
}

/** Commands that never reach a cluster: a target flag after them would be noise, or an error. */
const WITHOUT_TARGET = new Set(["list", "explain", "parse", "lab", "help", "completion"]);

/**
 * A `pvefix …` line with the target flags (`--lab`, `-i FILE`) appended when its command takes a
 * target; anything else is left alone.
 */
export function onTarget(command: string, target = ""): string {
  const verb = /^pvefix (\S+)/.exec(command)?.[1];
  return target && verb !== undefined && !WITHOUT_TARGET.has(verb) ? `${command} ${target}` : command;
}

/** Every `` `pvefix …` `` quoted in prose (a warning, a refusal's detail) with the target flags appended. */
export function quotedOnTarget(text: string, target = ""): string {
  return target ? text.replace(/`(pvefix [^`]+)`/g, (_m, c: string) => `\`${onTarget(c, target)}\``) : text;
}
