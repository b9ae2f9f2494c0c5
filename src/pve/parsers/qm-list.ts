/**
 * `qm list` (proxmox-facts §5.4). It has no lock column: a VM's lock comes from its config
 * (`parseGuestConfig`), never from this table.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { toInt } from "./parser-support.js";
import { splitTable, tableReading } from "./table.js";

export const QmListRow = z.object({
  vmid: z.number().int().positive(),
  name: z.string(),
  /** `running` / `stopped`; with `--full` the QMP status such as `paused`. */
  status: z.string().min(1),
  memMb: z.number().int().nonnegative(),
  bootDiskGb: z.number().nonnegative(),
  /** `null` when qm prints 0 (not running). */
  pid: z.number().int().positive().nullable(),
});
export type QmListRow = z.infer<typeof QmListRow>;

export const QmListReading = tableReading(QmListRow);
export type QmListReading = z.infer<typeof QmListReading>;

const FORMAT = "qm-list";
// `%10s %-20s %-10s %-10s %12.2f %-10s`; the name may be empty or contain a space ("VM 100").
// The row is anchored on its numeric right-hand columns, so a name with spaces stays whole.
const ROW = /^\s*(\d+) (.*?)\s+(\S+)\s+(\d+)\s+(\d+(?:\.\d+)?)\s+(\d+)\s*$/;
const HEADER = /^\s*VMID\s+NAME\s+STATUS\s+MEM\(MB\)\s+BOOTDISK\(GB\)\s+PID\b/;

/** Rows and the stderr lines pasted with them. */
export function readQmList(text: string): QmListReading {
  const table = splitTable(FORMAT, text, HEADER, "VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID", true);
  const rows = table.body.map(({ no, text: line }) => {
    const m = ROW.exec(line);
    if (!m)
      throw new ParseError(FORMAT, `expected 'vmid name status mem bootdisk pid', got '${line.trim()}'`, no);
    const pid = toInt(FORMAT, "pid", m[6] as string, no);
    return {
      vmid: toInt(FORMAT, "vmid", m[1] as string, no),
      name: (m[2] as string).trim(),
      status: m[3] as string,
      memMb: toInt(FORMAT, "memory", m[4] as string, no),
      bootDiskGb: Number(m[5]),
      pid: pid === 0 ? null : pid,
    };
  });
  return { rows, warnings: table.warnings };
}

export function parseQmList(text: string): QmListRow[] {
  return readQmList(text).rows;
}

export const qmListFormat: ParserFormat<QmListReading> = {
  name: FORMAT,
  description:
    "qm list: local VMs with name, status, memory, boot disk, pid (no lock column), stderr warnings",
  schema: QmListReading,
  parse: readQmList,
};
