/** Read and check a rules file: YAML → zod, then the checks zod cannot make (runbook ids, regexes). */
import { parse as parseYaml, YAMLParseError } from "yaml";
import { fieldPath } from "../errors.js";
import { type RulesFile as Rules, RulesFile } from "./schema.js";

export type RulesCheck = { ok: true; rules: Rules } | { ok: false; errors: string[] };

/** Every problem of a rules file, each as `path: message`; pure (the caller reads the file). */
export function checkRules(text: string, knownRunbooks: readonly string[]): RulesCheck {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `line ${error.linePos[0].line}: ` : "";
    return { ok: false, errors: [`${where}not valid YAML: ${(error as Error).message.split("\n")[0]}`] };
  }
  const parsed = RulesFile.safeParse(raw ?? {});
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`) };
  }
  const errors: string[] = [];
  const known = new Set(knownRunbooks);
  const names = new Set<string>();
  parsed.data.rules.forEach((rule, i) => {
    if (!known.has(rule.runbook)) {
      errors.push(
        `rules[${i}].runbook: unknown runbook "${rule.runbook}" (one of ${knownRunbooks.join(", ")})`,
      );
    }
    if (names.has(rule.name)) errors.push(`rules[${i}].name: "${rule.name}" is used by an earlier rule`);
    names.add(rule.name);
    for (const [label, value] of Object.entries(rule.match)) {
      if (!value.startsWith("~")) continue;
      try {
        new RegExp(value.slice(1));
      } catch (error) {
        errors.push(
          `rules[${i}].match.${label}: not a valid regular expression: ${(error as Error).message}`,
        );
      }
    }
  });
  parsed.data.findings.forEach((f, i) => {
    if (!known.has(f.runbook)) {
      errors.push(
        `findings[${i}].runbook: unknown runbook "${f.runbook}" (one of ${knownRunbooks.join(", ")})`,
      );
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules: parsed.data };
}
