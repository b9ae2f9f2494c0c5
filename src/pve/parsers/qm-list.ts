/**
 * `qm list` (proxmox-facts §5.4). It has no lock column: a VM's lock comes from its config
 * (`parseGuestConfig`), never from this table.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines, toInt } from "./parser-support.js";

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

const FORMAT = "qm-list";
// `%10s %-20s %-10s %-10s %12.2f %-10s`; the name may be empty or contain a space ("VM 100").
const ROW = /^\s*(\d+) (.*?)\s+(\S+)\s+(\d+)\s+(\d+(?:\.\d+)?)\s+(\d+)\s*$/;

export function parseQmList(text: string): QmListRow[] {
  const lines = splitLines(text);
  const headerAt = lines.findIndex((line) => line.trim() !== "");
  if (headerAt === -1) return [];
  if (!/^\s*VMID\s+NAME\s+STATUS\s+MEM\(MB\)\s+BOOTDISK\(GB\)\s+PID\b/.test(lines[headerAt] as string)) {
    throw new ParseError(
      FORMAT,
      "expected the 'VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID' header first",
      headerAt + 1,
    );
  }
  const rows: QmListRow[] = [];
  lines.slice(headerAt + 1).forEach((line, offset) => {
    const lineNo = headerAt + offset + 2;
    if (line.trim() === "") return;
    const m = ROW.exec(line);
    if (!m)
      throw new ParseError(FORMAT, `expected 'vmid name status mem bootdisk pid', got '${line}'`, lineNo);
    const pid = toInt(FORMAT, "pid", m[6] as string, lineNo);
    rows.push({
      vmid: toInt(FORMAT, "vmid", m[1] as string, lineNo),
      name: (m[2] as string).trim(),
      status: m[3] as string,
      memMb: toInt(FORMAT, "memory", m[4] as string, lineNo),
      bootDiskGb: Number(m[5]),
      pid: pid === 0 ? null : pid,
    });
  });
  return rows;
}

export const qmListFormat: ParserFormat<QmListRow[]> = {
  name: FORMAT,
  description: "qm list: local VMs with name, status, memory, boot disk size and pid (no lock column)",
  schema: z.array(QmListRow),
  parse: parseQmList,
};
