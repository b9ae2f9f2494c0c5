/** The formats `pvefix parse` knows, for its help text (kept apart from the command: the help must not load it). */
import { parserFormats } from "../pve/parsers/index.js";

export function formatList(): string {
  return parserFormats.map((p) => `  ${p.name.padEnd(24)} ${p.description}`).join("\n");
}
