/**
 * Shared reading of the fixed-width tables PVE's CLIs print with `printf` (pct list, qm list,
 * pvesm status, pvesr status/list): find the header, take column starts from it, and keep stderr
 * lines pasted around or inside the table as warnings.
 */
import { z } from "zod";
import { ParseError } from "./format.js";
import { splitLines } from "./parser-support.js";
import { isStderrLine } from "./stderr-lines.js";

/** A table as read from a paste: its rows plus every stderr line that was mixed into it. */
export const tableReading = <T extends z.ZodTypeAny>(row: T) =>
  z.object({
    rows: z.array(row),
    /** stderr lines (`2>&1`) found before or inside the table, verbatim and trimmed. */
    warnings: z.array(z.string()),
  });

export type Located = { no: number; text: string };

export type TableLines = {
  header: Located | null;
  /** Lines after the header that are not empty and not stderr. */
  body: Located[];
  warnings: string[];
};

/**
 * Split a paste into header, body and warnings. Text before the header is stderr by position (the
 * tools print the header before any row); `allowNoHeader` is for tools that print nothing at all
 * when the table is empty (pct list, qm list, pvesr). Lines that are neither a header, a stderr
 * line nor part of the table are left in `body` for the caller to refuse with a line number.
 */
export function splitTable(
  format: string,
  text: string,
  header: RegExp,
  headerName: string,
  allowNoHeader: boolean,
): TableLines {
  const lines = splitLines(text);
  const warnings: string[] = [];
  const at = lines.findIndex((line) => header.test(line));
  if (at === -1) {
    for (const [i, line] of lines.entries()) {
      if (line.trim() === "") continue;
      if (!allowNoHeader || !isStderrLine(line)) {
        throw new ParseError(format, `no '${headerName}' header line; got '${line.trim()}'`, i + 1);
      }
      warnings.push(line.trim());
    }
    if (!allowNoHeader) throw new ParseError(format, `no '${headerName}' header line`);
    return { header: null, body: [], warnings };
  }
  for (const line of lines.slice(0, at)) if (line.trim() !== "") warnings.push(line.trim());
  const body: Located[] = [];
  for (let i = at + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    if (isStderrLine(line)) warnings.push(line.trim());
    else body.push({ no: i + 1, text: line });
  }
  return { header: { no: at + 1, text: lines[at] as string }, body, warnings };
}

/** Start offset of each header word (`Total (KiB)` counts as one column when given as such). */
export function columnStarts(header: string, titles: string[]): number[] {
  const starts: number[] = [];
  let from = 0;
  for (const title of titles) {
    const at = header.indexOf(title, from);
    starts.push(at);
    if (at >= 0) from = at + title.length;
  }
  return starts;
}
