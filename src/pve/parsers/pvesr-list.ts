/**
 * `pvesr list` (proxmox-facts §7.2; proxmox/pve-manager PVE/CLI/pvesr.pm): `%-20s %-20s %10s %5s %8s`
 * with columns `JobID Target Schedule Rate Enabled`, every job of the cluster. Target is
 * `local/<node>`, Schedule `*\/15` when unset, Rate `-` when unset, Enabled `yes`/`no`. A schedule
 * may contain spaces (`mon..fri 02:00`), so the row is anchored on its first two and last two cells.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitTable, tableReading } from "./table.js";

export const PvesrListRow = z.object({
  jobId: z.string(),
  /** Node name (`local/` stripped). */
  target: z.string(),
  schedule: z.string(),
  /** MB/s; null for `-` (unlimited). */
  rate: z.number().nullable(),
  enabled: z.boolean(),
});
export type PvesrListRow = z.infer<typeof PvesrListRow>;
export const PvesrListReading = tableReading(PvesrListRow);
export type PvesrListReading = z.infer<typeof PvesrListReading>;

const FORMAT = "pvesr-list";
const HEADER = /^JobID\s+Target\s+Schedule\s+Rate\s+Enabled\s*$/;
const ROW = /^(\d+-\d+)\s+(\S+)\s+(.+?)\s+(-|\d+(?:\.\d+)?)\s+(yes|no)\s*$/i;

export function readPvesrList(text: string): PvesrListReading {
  const table = splitTable(FORMAT, text, HEADER, "JobID Target Schedule Rate Enabled", true);
  const rows = table.body.map(({ no, text: line }) => {
    const m = ROW.exec(line.trim());
    if (!m)
      throw new ParseError(FORMAT, `expected 'jobid target schedule rate yes|no', got '${line.trim()}'`, no);
    return {
      jobId: m[1] as string,
      target: (m[2] as string).replace(/^local\//, ""),
      schedule: m[3] as string,
      rate: m[4] === "-" ? null : Number(m[4]),
      enabled: (m[5] as string).toLowerCase() === "yes",
    };
  });
  return { rows, warnings: table.warnings };
}

export const pvesrListFormat: ParserFormat<PvesrListReading> = {
  name: FORMAT,
  description: "pvesr list: every replication job of the cluster with target, schedule, rate, enabled",
  schema: PvesrListReading,
  parse: readPvesrList,
};
