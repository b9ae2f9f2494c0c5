/**
 * `pct list` (proxmox-facts §5.4; proxmox/pve-container src/PVE/CLI/pct.pm): `%-10s %-10s %-12s %-20s`,
 * local containers only, no output at all when there are none. The Lock column is blank when
 * unlocked and a Name may contain spaces, so words are placed by the column they start in (taken
 * from the header line), never by their count.
 */
import { z } from "zod";
import type { ParserFormat } from "./format.js";
import { ParseError } from "./format.js";
import { toInt } from "./parser-support.js";
import { columnStarts, splitTable, tableReading } from "./table.js";

export const PctListRow = z.object({
  vmid: z.number().int().positive(),
  status: z.string().min(1),
  lock: z.string().nullable(),
  name: z.string(),
});
export type PctListRow = z.infer<typeof PctListRow>;

export const PctListReading = tableReading(PctListRow);
export type PctListReading = z.infer<typeof PctListReading>;

const FORMAT = "pct-list";
const HEADER = /^VMID\s+Status\s+Lock\s+Name\b/;
// pve-container's lock enum (PVE::LXC::Config) — used only when a paste lost its column padding.
const CT_LOCKS = new Set([
  "backup",
  "create",
  "destroyed",
  "disk",
  "fstrim",
  "migrate",
  "mounted",
  "rollback",
  "snapshot",
  "snapshot-delete",
]);
const ROW = /^(\s*(\d+)\s+(\S+))(?:(\s+)(.*?))?\s*$/;

/** Rows and the stderr lines pasted with them. */
export function readPctList(text: string): PctListReading {
  const table = splitTable(FORMAT, text, HEADER, "VMID Status Lock Name", true);
  if (!table.header) return { rows: [], warnings: table.warnings };
  const [, statusCol = 11, , nameCol = 35] = columnStarts(table.header.text, [
    "VMID",
    "Status",
    "Lock",
    "Name",
  ]);
  const rows = table.body.map(({ no, text: line }) => {
    const m = ROW.exec(line);
    if (!m) throw new ParseError(FORMAT, `expected 'vmid status [lock] name', got '${line.trim()}'`, no);
    const statusAt = line.indexOf(m[3] as string, (m[2] as string).length);
    const restAt = (m[1] as string).length + (m[4]?.length ?? 0);
    const rest = m[5] ?? "";
    let lock: string | null = null;
    let name = rest;
    if (rest !== "") {
      const first = /^\S+/.exec(rest)?.[0] as string;
      // Aligned rows: a word starting before the Name column is the lock. A paste whose padding was
      // squeezed keeps no columns, so there only a known lock value counts as a lock.
      const aligned = statusAt === statusCol;
      const isLock = aligned ? restAt < nameCol : CT_LOCKS.has(first);
      if (isLock) {
        lock = first;
        name = rest.slice(first.length).trim();
      }
    }
    return { vmid: toInt(FORMAT, "vmid", m[2] as string, no), status: m[3] as string, lock, name };
  });
  return { rows, warnings: table.warnings };
}

export function parsePctList(text: string): PctListRow[] {
  return readPctList(text).rows;
}

export const pctListFormat: ParserFormat<PctListReading> = {
  name: FORMAT,
  description:
    "pct list: local containers with status, lock (blank when unlocked), name, and stderr warnings",
  schema: PctListReading,
  parse: readPctList,
};
