/** Every parser reachable through `pvefix parse <name>`, in one list. */
import type { ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";
import { formatsA } from "./registry-a.js";
import { formatsB } from "./registry-b.js";

/**
 * Each format's output is checked against its own schema on the way out, so whatever a parser
 * builds from odd input (a number past the safe integer range, say) ends as a coded ParseError
 * naming the field, never as an internal error.
 */
function checked(format: ParserFormat): ParserFormat {
  return { ...format, parse: (text) => validated(format.name, format.schema, format.parse(text)) };
}

export const parserFormats: ParserFormat[] = [...formatsA, ...formatsB]
  .sort((a, b) => a.name.localeCompare(b.name))
  .map(checked);
export { ParseError, type ParserFormat } from "./format.js";
