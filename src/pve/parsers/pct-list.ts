/**
 * `pct list` (proxmox-facts §5.4): `%-10s %-10s %-12s %-20s`, local containers only, no output
 * at all when there are none. The Lock column is blank when unlocked, so splitting on
 * whitespace alone would read the name as the lock.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines, toInt } from "./parser-support.js";

export const PctListRow = z.object({
  vmid: z.number().int().positive(),
  status: z.string().min(1),
  lock: z.string().nullable(),
  name: z.string(),
});
export type PctListRow = z.infer<typeof PctListRow>;

const FORMAT = "pct-list";
const LOCK_COLUMN = 22;
const NAME_COLUMN = 35;
const ROW = /^(\s*(\d+)\s+(\S+)\s+)(.*?)\s*$/;

export function parsePctList(text: string): PctListRow[] {
  const lines = splitLines(text);
  const headerAt = lines.findIndex((line) => line.trim() !== "");
  if (headerAt === -1) return [];
  if (!/^VMID\s+Status\s+Lock\s+Name\b/.test(lines[headerAt] as string)) {
    throw new ParseError(FORMAT, "expected the 'VMID Status Lock Name' header first", headerAt + 1);
  }
  const rows: PctListRow[] = [];
  lines.slice(headerAt + 1).forEach((line, offset) => {
    const lineNo = headerAt + offset + 2;
    if (line.trim() === "") return;
    const m = ROW.exec(line);
    if (!m) throw new ParseError(FORMAT, `expected 'vmid status [lock] name', got '${line}'`, lineNo);
    const restStart = (m[1] as string).length;
    const rest = (m[4] as string).split(/\s+/).filter((word) => word !== "");
    let lock: string | null = null;
    let name = "";
    if (rest.length === 2) [lock, name] = rest as [string, string];
    else if (rest.length === 1) {
      // One word: a lock when it sits in the Lock column (a locked CT without name), else the name.
      const word = rest[0] as string;
      if (restStart >= LOCK_COLUMN && restStart < NAME_COLUMN) lock = word;
      else name = word;
    } else if (rest.length > 2) {
      throw new ParseError(
        FORMAT,
        `expected at most a lock and a name after the status, got '${m[4]}'`,
        lineNo,
      );
    }
    rows.push({ vmid: toInt(FORMAT, "vmid", m[2] as string, lineNo), status: m[3] as string, lock, name });
  });
  return rows;
}

export const pctListFormat: ParserFormat<PctListRow[]> = {
  name: FORMAT,
  description: "pct list: local containers with status, lock (blank when unlocked) and name",
  schema: z.array(PctListRow),
  parse: parsePctList,
};
