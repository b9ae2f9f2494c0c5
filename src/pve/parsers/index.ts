/** Every parser reachable through `pvefix parse <name>`, in one list. */
import type { ParserFormat } from "./format.js";
import { formatsA } from "./registry-a.js";
import { formatsB } from "./registry-b.js";

export const parserFormats: ParserFormat[] = [...formatsA, ...formatsB].sort((a, b) =>
  a.name.localeCompare(b.name),
);
export { ParseError, type ParserFormat } from "./format.js";
