/**
 * Small helpers shared by the file and command parsers: line splitting that tolerates pasted
 * text, zod validation that reports as ParseError, and PVE's boolean spelling.
 */
import type { z } from "zod";
import { ParseError } from "./format.js";

/**
 * Split text into lines without the empty string after a final newline. Carriage returns are
 * dropped because on-call engineers paste output from tickets and chat windows.
 */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Run the schema over a freshly built value; a mismatch becomes a ParseError naming the field. */
export function validated<T>(format: string, schema: z.ZodType<T>, value: unknown, line?: number): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
  throw new ParseError(format, `${issue?.message ?? "invalid value"}${where}`, line);
}

/** PVE accepts `1|on|yes|true` and `0|off|no|false` for booleans (JSONSchema `parse_boolean`). */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|on|yes|true)$/i.test(value);
}

/** Parse a decimal integer field, or throw a ParseError that says which field and line. */
export function toInt(format: string, field: string, value: string, line?: number): number {
  if (!/^-?\d+$/.test(value))
    throw new ParseError(format, `expected ${field} to be an integer, got '${value}'`, line);
  return Number(value);
}

/** Parse a hexadecimal field (UPIDs, task end times). */
export function fromHex(format: string, field: string, value: string, line?: number): number {
  if (!/^[0-9A-Fa-f]+$/.test(value)) {
    throw new ParseError(format, `expected ${field} to be hexadecimal, got '${value}'`, line);
  }
  return Number.parseInt(value, 16);
}
