/**
 * `pvefix parse <format> [FILE|-]`: paste Proxmox output from a ticket, get structured facts.
 * `--auto` detects the format and names it; `parse report FILE` reads a whole pvereport.
 */
import { detectFormat } from "../../pve/parsers/detect.js";
import { parserFormats } from "../../pve/parsers/index.js";
import { parsePveReport } from "../../pve/parsers/pvereport.js";
import { readSystemctlIsActive } from "../../pve/parsers/systemctl-is-active.js";
import { renderParsed } from "../../views/index.js";
import { GlobalOptionError, type GlobalOptions } from "../global-options.js";
import { readParseInput } from "./parse-input.js";
import { print } from "./shared.js";

export type ParseOptions = { auto?: boolean; units?: string };

function refuse(message: string, where: string): never {
  throw new GlobalOptionError(`✖ ${message}\n  → at ${where}`);
}

function names(): string {
  return ["report", ...parserFormats.map((p) => p.name)].join(", ");
}

/** Every format answers empty input the same way: there is nothing to read. */
function nonEmpty(text: string, file: string | undefined): string {
  if (text.trim() === "") refuse("The input is empty: there is nothing to parse", file ?? "<stdin>");
  return text;
}

export async function runParse(
  globals: GlobalOptions,
  format: string | undefined,
  file: string | undefined,
  options: ParseOptions = {},
): Promise<number> {
  const output = globals.output === "json" ? "json" : "text";
  if (options.auto) {
    if (file !== undefined) refuse("--auto takes only a file: pvefix parse --auto FILE", "<format>");
    if (options.units !== undefined)
      refuse("--units needs the format named: parse systemctl-is-active", "--units");
    const source = format;
    const text = nonEmpty(readParseInput(source), source);
    const detection = detectFormat(text, parserFormats);
    if (detection.format === null) {
      refuse(`No known format recognised in this input (formats: ${names()})`, source ?? "<stdin>");
    }
    if (detection.error) throw detection.error;
    const value = detection.format === "pvereport" ? parsePveReport(text, parserFormats) : detection.value;
    print(renderParsed({ format: detection.format, value }, output));
    return 0;
  }
  if (format === undefined) refuse(`A format is required (or --auto): one of ${names()}`, "<format>");
  if (format === "report" || format === "pvereport") {
    print(renderParsed(parsePveReport(nonEmpty(readParseInput(file), file), parserFormats), output));
    return 0;
  }
  const parser = parserFormats.find((p) => p.name === format);
  if (!parser) refuse(`Unknown format \`${format}\`: expected one of ${names()}`, "<format>");
  if (options.units !== undefined && format !== "systemctl-is-active") {
    refuse("--units applies only to the systemctl-is-active format", "--units");
  }
  const text = nonEmpty(readParseInput(file), file);
  if (format === "systemctl-is-active") {
    const units = options.units
      ?.split(",")
      .map((u) => u.trim())
      .filter((u) => u !== "");
    if (options.units !== undefined && (units === undefined || units.length === 0)) {
      refuse("--units needs a comma-separated list of unit names, e.g. corosync,pve-cluster", "--units");
    }
    print(renderParsed(readSystemctlIsActive(text, units), output));
    return 0;
  }
  print(renderParsed(parser.parse(text), output));
  return 0;
}
