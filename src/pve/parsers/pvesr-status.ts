/**
 * `pvesr status` (proxmox-facts §7.2): replication jobs of guests on THIS node. State is `OK`,
 * `SYNCING` or the full error text, which may span several lines; lines without columns
 * continue the previous row's state. Older versions print no Enabled column.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines, toInt } from "./parser-support.js";

export const PvesrStatusRow = z.object({
  jobId: z.string(),
  /** Always true for output without an Enabled column (older pve-manager). */
  enabled: z.boolean(),
  /** Node name (`local/` stripped). */
  target: z.string(),
  /** `YYYY-MM-DD_HH:MM:SS` in the node's local time; `null` for `-`. */
  lastSync: z.string().nullable(),
  /** Same format, `pending` when due or overdue; `null` for `-`. */
  nextSync: z.string().nullable(),
  /** Seconds; `null` for `-`. */
  duration: z.number().nullable(),
  failCount: z.number().int().nonnegative(),
  state: z.string(),
});
export type PvesrStatusRow = z.infer<typeof PvesrStatusRow>;

const FORMAT = "pvesr-status";
// `%-10s %-10s %-20s %20s %20s %10s %10s %s` (the old format lacks the Enabled column).
const ROW_WITH_ENABLED = /^(\d+-\d+)\s+(Yes|No)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)(?: (.*))?$/;
const ROW_WITHOUT = /^(\d+-\d+)\s+()(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)(?: (.*))?$/;

function dash(value: string): string | null {
  return value === "-" ? null : value;
}

export function parsePvesrStatus(text: string): PvesrStatusRow[] {
  const lines = splitLines(text);
  const headerAt = lines.findIndex((line) => line.trim() !== "");
  if (headerAt === -1) return [];
  const header = lines[headerAt] as string;
  if (!/^JobID\s/.test(header) || !/\bState\s*$/.test(header)) {
    throw new ParseError(FORMAT, "expected the 'JobID ... State' header first", headerAt + 1);
  }
  const row = /\bEnabled\b/.test(header) ? ROW_WITH_ENABLED : ROW_WITHOUT;
  const rows: PvesrStatusRow[] = [];
  lines.slice(headerAt + 1).forEach((line, offset) => {
    const lineNo = headerAt + offset + 2;
    const m = row.exec(line);
    if (!m) {
      const previous = rows[rows.length - 1];
      if (!previous) throw new ParseError(FORMAT, `expected a job row, got '${line}'`, lineNo);
      previous.state += `\n${line}`;
      return;
    }
    const duration = dash(m[6] as string);
    if (duration !== null && !/^\d+(\.\d+)?$/.test(duration)) {
      throw new ParseError(FORMAT, `expected a duration in seconds or '-', got '${duration}'`, lineNo);
    }
    rows.push({
      jobId: m[1] as string,
      enabled: m[2] !== "No",
      target: (m[3] as string).replace(/^local\//, ""),
      lastSync: dash(m[4] as string),
      nextSync: dash(m[5] as string),
      duration: duration === null ? null : Number(duration),
      failCount: toInt(FORMAT, "FailCount", m[7] as string, lineNo),
      state: m[8] ?? "",
    });
  });
  for (const r of rows) r.state = r.state.trimEnd();
  return rows;
}

export const pvesrStatusFormat: ParserFormat<PvesrStatusRow[]> = {
  name: FORMAT,
  description: "pvesr status: local replication jobs with target, last/next sync, fail count and state",
  schema: z.array(PvesrStatusRow),
  parse: parsePvesrStatus,
};
