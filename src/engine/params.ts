/**
 * Runbook parameters: validated by the runbook's zod schema; every problem names the flag as the
 * operator typed it, what was expected and what was given. All problems are reported together.
 */
import { z } from "zod";
import { shellQuote } from "../shell/quote.js";
import type { InputIssue } from "./errors.js";
import { InputError } from "./errors.js";
import type { AnyRunbook } from "./runbook.js";

export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Params as flags: `--vmid 100 --storage nfs-iso`. `true` is a bare flag and `false` the
 * `--no-` form (commander's convention); absent values are left out; a list is one comma list
 * (`--nodes-down pve2,pve3`), the form every list flag parses whole.
 */
export function paramFlags(params: Record<string, unknown>): string[] {
  return Object.entries(params).flatMap(([key, value]) => flagWords(key, value));
}

function flagWords(key: string, value: unknown): string[] {
  const flag = flagName(key);
  if (value === undefined || value === null) return [];
  if (value === true) return [flag];
  if (value === false) return [`--no-${flag.slice(2)}`];
  if (Array.isArray(value))
    return value.length === 0 ? [] : [`${flag} ${shellQuote(value.map(String).join(","))}`];
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return [`${flag} ${shellQuote(text)}`];
}

export function parseParams(runbook: AnyRunbook, raw: Record<string, unknown>): Record<string, unknown> {
  const result = runbook.params.safeParse(raw);
  if (result.success) return result.data as Record<string, unknown>;
  throw new InputError(issuesFrom(result.error, raw, runbook));
}

function issuesFrom(error: z.ZodError, raw: Record<string, unknown>, runbook: AnyRunbook): InputIssue[] {
  return error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "");
    if (key && raw[key] === undefined && issue.code !== "custom") {
      // Zod's "expected string, received undefined" says nothing to an operator who left a flag out.
      const what = (runbook.params as z.ZodObject).shape?.[key]?.description;
      return {
        field: flagName(key),
        message: `Missing required flag ${flagName(key)}${what ? `: ${what}` : ""}`,
      };
    }
    const given = key in raw ? ` (got ${JSON.stringify(raw[key])})` : "";
    if (issue.code === "unrecognized_keys") {
      return {
        field: issue.keys.map(flagName).join(", "),
        message: `Unknown parameter: ${issue.keys.join(", ")}`,
      };
    }
    return { field: key ? flagName(key) : "(parameters)", message: `${issue.message}${given}` };
  });
}

/** Reusable parameter schemas with messages that name the allowed values. */
export const VmidParam = z
  .string()
  .or(z.number())
  .transform((v) => String(v).trim())
  .pipe(
    z
      .string()
      .regex(/^[1-9][0-9]{2,8}$/, "Expected a guest id: an integer from 100 to 999999999")
      .transform(Number),
  );

export const NodeParam = z
  .string()
  .regex(
    /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    "Expected a node name: letters, digits and inner hyphens",
  );

export const StorageParam = z
  .string()
  .regex(/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i, "Expected a storage id: letters, digits, '-', '_' and '.'");

/**
 * A comma list on the command line, trimmed and without repeats; the parsed array is accepted again
 * when a saved plan is applied.
 */
export const CommaList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => [...new Set((Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean))]);

/** A run id of the journal, as `pvefix runs` lists it. */
export const RunIdParam = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, "Expected a run id such as 20261123T103500Z-not-quorate-config-1a2b");

/** A comma list of node names, possibly empty (`--nodes-down pve2,pve3`); absent is the empty list. */
export const NodeListParam = z
  .string()
  .optional()
  .transform((v) => (v ?? "").split(",").flatMap((s) => (s.trim() ? [s.trim()] : [])))
  .pipe(z.array(NodeParam));

/** A `superRefine` for two flags of which exactly one must be given; the issue names the first. */
export function exactlyOne<K extends string>(a: K, b: K) {
  return (p: Partial<Record<K, unknown>>, ctx: z.RefinementCtx) => {
    if ((p[a] === undefined) === (p[b] === undefined))
      ctx.addIssue({
        code: "custom",
        path: [a],
        message: `Expected exactly one of ${flagName(a)} or ${flagName(b)}`,
      });
  };
}
