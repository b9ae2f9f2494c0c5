/** Reading the JSON status files that pmxcfs generates on read (`/etc/pve/.members`, `.vmlist`). */
import type { z } from "zod";
import { ParseError } from "./format.js";
import { validated } from "./parser-support.js";

/** `JSON.parse` plus a schema check, both reported as ParseError of `format`. */
export function parsePmxcfsJson<T>(format: string, schema: z.ZodType<T>, text: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ParseError(format, `not valid JSON (${(error as Error).message})`);
  }
  return validated(format, schema, data);
}
