/**
 * Runbook parameters become flags from the runbook's zod schema (name, description, required,
 * allowed values): one declaration feeds parsing, --help and the docs.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import { flagName } from "../engine/params.js";
import type { AnyRunbook } from "../engine/runbook.js";

interface PropertySchema {
  type?: string;
  description?: string;
  enum?: unknown[];
  anyOf?: PropertySchema[];
  default?: unknown;
}

export function addRunbookFlags(command: Command, runbook: AnyRunbook): Command {
  const schema = z.toJSONSchema(runbook.params, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, PropertySchema>;
    required?: string[];
  };
  const lists = listParams(runbook);
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const required = schema.required?.includes(key) ?? false;
    const boolean = prop.type === "boolean";
    const option = new Option(`${flagName(key)}${boolean ? "" : " <value>"}`, describe(prop, required));
    if (prop.default !== undefined) option.default(prop.default);
    if (!boolean) option.argParser(repeatRule(flagName(key), lists.has(key), prop.default));
    command.addOption(option);
  }
  return command;
}

/** Params whose parsed value is a list (`--nodes-down a,b`): the flag may also be repeated. */
export function listParams(runbook: AnyRunbook): Set<string> {
  const out = z.toJSONSchema(runbook.params, { io: "output", unrepresentable: "any" }) as {
    properties?: Record<string, PropertySchema>;
  };
  return new Set(
    Object.entries(out.properties ?? {})
      .filter(([, p]) => p.type === "array")
      .map(([k]) => k),
  );
}

/**
 * A list flag given twice adds to the list (`--services a --services b` is `--services a,b`); any
 * other flag given twice is an error rather than a silent "the last one wins".
 */
function repeatRule(flag: string, list: boolean, fallback: unknown) {
  return (value: string, previous: unknown): string => {
    if (previous === undefined || previous === fallback) return value;
    if (list) return `${String(previous)},${value}`;
    throw new InvalidArgumentError(
      `${flag} was given twice (${JSON.stringify(previous)} and ${JSON.stringify(value)}); give it once`,
    );
  };
}

function describe(prop: PropertySchema, required: boolean): string {
  const parts = [prop.description ?? ""];
  if (prop.enum) parts.push(`(one of ${prop.enum.map((v) => JSON.stringify(v)).join(", ")})`);
  if (required) parts.push("[required]");
  return parts.filter(Boolean).join(" ");
}

/** Commander's camelCase option values → the runbook's raw params (only those given). */
export function rawParams(runbook: AnyRunbook, opts: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys((runbook.params as z.ZodObject).shape ?? {});
  return Object.fromEntries(keys.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
}
