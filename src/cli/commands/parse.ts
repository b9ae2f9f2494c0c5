/** `pvefix parse <format> [FILE|-]`: paste Proxmox output from a ticket, get structured facts. */
import * as fs from "node:fs";
import { parserFormats } from "../../pve/parsers/index.js";
import { renderParsed } from "../../views/index.js";
import { GlobalOptionError, type GlobalOptions } from "../global-options.js";
import { print } from "./shared.js";

export async function runParse(
  globals: GlobalOptions,
  format: string,
  file: string | undefined,
): Promise<number> {
  const parser = parserFormats.find((p) => p.name === format);
  if (!parser) {
    throw new GlobalOptionError(
      `✖ Unknown format \`${format}\`: expected one of ${parserFormats.map((p) => p.name).join(", ")}\n  → at <format>`,
    );
  }
  const text = !file || file === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(file, "utf8");
  print(renderParsed(parser.parse(text), globals.output === "json" ? "json" : "text"));
  return 0;
}
