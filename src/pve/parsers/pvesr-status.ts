/**
 * `pvesr status` (proxmox-facts §7.2): replication jobs of guests on THIS node. State is `OK`,
 * `SYNCING` or the full error text, which may span several lines; lines without columns
 * continue the previous row's state. Older versions print no Enabled column.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { toInt } from "./parser-support.js";
import { splitTable, tableReading } from "./table.js";

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
  /** lastSync as an ISO 8601 local timestamp (`2026-03-11T14:00:01`, no zone: pvesr prints node time). */
  lastSyncAt: z.string().nullable(),
  /** nextSync as an ISO 8601 local timestamp; null for `-` and for `pending`. */
  nextSyncAt: z.string().nullable(),
  /** True when NextSync says `pending` (due or overdue). */
  pending: z.boolean(),
  /** `ok`, `syncing` or `error` (State holds the error text). */
  stateKind: z.enum(["ok", "syncing", "error"]),
});
export type PvesrStatusRow = z.infer<typeof PvesrStatusRow>;

export const PvesrStatusReading = tableReading(PvesrStatusRow);
export type PvesrStatusReading = z.infer<typeof PvesrStatusReading>;

const FORMAT = "pvesr-status";
// `%-10s %-10s %-20s %20s %20s %10s %10s %s` (the old format lacks the Enabled column).
const ROW_WITH_ENABLED = /^(\d+-\d+)\s+(Yes|No)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)(?: (.*))?$/;
const ROW_WITHOUT = /^(\d+-\d+)\s+()(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)(?: (.*))?$/;

function dash(value: string): string | null {
  return value === "-" ? null : value;
}

/** `YYYY-MM-DD_HH:MM:SS` (pvesr's strftime) → `YYYY-MM-DDTHH:MM:SS`; anything else → null. */
export function pvesrTimestamp(value: string | null): string | null {
  const m = value === null ? null : /^(\d{4}-\d{2}-\d{2})_(\d{2}:\d{2}:\d{2})$/.exec(value);
  return m ? `${m[1]}T${m[2]}` : null;
}

const HEADER = /^JobID\s.*\bState\s*$/;

/** Rows and the stderr lines pasted with them. */
export function readPvesrStatus(text: string): PvesrStatusReading {
  const table = splitTable(FORMAT, text, HEADER, "JobID ... State", true);
  if (!table.header) return { rows: [], warnings: table.warnings };
  const row = /\bEnabled\b/.test(table.header.text) ? ROW_WITH_ENABLED : ROW_WITHOUT;
  const rows: PvesrStatusRow[] = [];
  for (const { no, text: line } of table.body) {
    const m = row.exec(line);
    if (!m) {
      // A line without columns continues the previous job's multi-line error text.
      const previous = rows[rows.length - 1];
      if (!previous) throw new ParseError(FORMAT, `expected a job row, got '${line.trim()}'`, no);
      previous.state += `\n${line}`;
      continue;
    }
    const duration = dash(m[6] as string);
    if (duration !== null && !/^\d+(\.\d+)?$/.test(duration)) {
      throw new ParseError(FORMAT, `expected a duration in seconds or '-', got '${duration}'`, no);
    }
    const lastSync = dash(m[4] as string);
    const nextSync = dash(m[5] as string);
    rows.push({
      jobId: m[1] as string,
      enabled: m[2] !== "No",
      target: (m[3] as string).replace(/^local\//, ""),
      lastSync,
      nextSync,
      duration: duration === null ? null : Number(duration),
      failCount: toInt(FORMAT, "FailCount", m[7] as string, no),
      state: m[8] ?? "",
      lastSyncAt: pvesrTimestamp(lastSync),
      nextSyncAt: pvesrTimestamp(nextSync),
      pending: nextSync === "pending",
      stateKind: "ok",
    });
  }
  for (const r of rows) {
    r.state = r.state.trimEnd();
    r.stateKind = r.state === "OK" ? "ok" : r.state === "SYNCING" ? "syncing" : "error";
  }
  return { rows, warnings: table.warnings };
}

export function parsePvesrStatus(text: string): PvesrStatusRow[] {
  return readPvesrStatus(text).rows;
}

export const pvesrStatusFormat: ParserFormat<PvesrStatusReading> = {
  name: FORMAT,
  description: "pvesr status: local replication jobs, target, last/next sync, fail count, state, warnings",
  schema: PvesrStatusReading,
  parse: readPvesrStatus,
};
