/** `pvefix parse`: structured facts from pasted Proxmox output, as JSON or as YAML to read. */
import { stringify } from "yaml";
import { escapeDeep } from "./escape-terminal.js";
import { toJson } from "./format.js";

export function renderParsed(value: unknown, format: "json" | "text"): string {
  if (format === "json") return toJson(value);
  // Pasted text may carry terminal escapes from the ticket it came from.
  return stringify(escapeDeep(value)).replace(/\n$/, "");
}
