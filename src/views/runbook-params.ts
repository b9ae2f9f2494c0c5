/**
 * Runbook parameters as documentation, read from the zod schema through its JSON Schema, so
 * the docs, `explain` and the flags can never disagree about a name, type, default or choice.
 */
import { z } from "zod";
import { flagName } from "../engine/params.js";
import type { AnyRunbook } from "../engine/runbook.js";

export const ParamDoc = z.object({
  key: z.string(),
  flag: z.string(),
  type: z.string(),
  required: z.boolean(),
  default: z.unknown().optional(),
  /** Allowed values in words: choices, pattern, bounds. */
  allowed: z.array(z.string()),
  description: z.string(),
});
export type ParamDoc = z.infer<typeof ParamDoc>;

type JsonSchema = z.core.JSONSchema.BaseSchema;

/** The JSON Schema of what the operator may pass (the input side of transforms). */
export function paramsJsonSchema(runbook: AnyRunbook): JsonSchema {
  return z.toJSONSchema(runbook.params, {
    io: "input",
    unrepresentable: "any",
    // A pipe documents only its input; constraints checked after a coercion (`--vmid` is
    // coerced from text, then matched) would vanish, so they are carried over.
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def;
      if (def.type !== "pipe") return;
      const after = z.toJSONSchema(def.out as z.ZodType, { io: "input", unrepresentable: "any" });
      for (const key of [
        "pattern",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "format",
      ] as const) {
        if (after[key] !== undefined && jsonSchema[key] === undefined)
          Object.assign(jsonSchema, { [key]: after[key] });
      }
    },
  });
}

export function paramDocs(runbook: AnyRunbook): ParamDoc[] {
  const schema = paramsJsonSchema(runbook);
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, raw]) => {
    const prop = (typeof raw === "object" ? raw : {}) as JsonSchema;
    return {
      key,
      flag: flagName(key),
      type: typeName(prop),
      required: required.has(key),
      ...(prop.default !== undefined ? { default: prop.default } : {}),
      allowed: allowedValues(prop),
      description: prop.description ?? "",
    };
  });
}

function typeName(prop: JsonSchema): string {
  if (prop.enum) return "choice";
  const types = Array.isArray(prop.type) ? prop.type : prop.type ? [prop.type] : [];
  if (types.length === 0 && prop.anyOf) return prop.anyOf.map((s) => typeName(s as JsonSchema)).join(" or ");
  return (
    types
      .map((t) =>
        t === "array" && prop.items && typeof prop.items === "object"
          ? `list of ${typeName(prop.items as JsonSchema)}`
          : t,
      )
      .join(" or ") || "any"
  );
}

// zod writes the safe-integer range for every `.int()`: that says nothing to a reader.
const NO_BOUND = Number.MAX_SAFE_INTEGER;

function allowedValues(prop: JsonSchema): string[] {
  const allowed: string[] = [];
  if (prop.enum) allowed.push(`one of ${prop.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  if (prop.const !== undefined) allowed.push(`exactly ${JSON.stringify(prop.const)}`);
  if (prop.pattern) allowed.push(`matching \`/${prop.pattern}/\``);
  const min =
    typeof prop.minimum === "number" && Math.abs(prop.minimum) < NO_BOUND ? prop.minimum : undefined;
  const max =
    typeof prop.maximum === "number" && Math.abs(prop.maximum) < NO_BOUND ? prop.maximum : undefined;
  if (min !== undefined && max !== undefined) allowed.push(`from ${min} to ${max}`);
  else if (min !== undefined) allowed.push(`at least ${min}`);
  else if (max !== undefined) allowed.push(`at most ${max}`);
  if (prop.minLength !== undefined && prop.minLength > 0)
    allowed.push(`at least ${prop.minLength} characters`);
  if (prop.maxLength !== undefined) allowed.push(`at most ${prop.maxLength} characters`);
  if (prop.format) allowed.push(`format ${prop.format}`);
  return allowed;
}
