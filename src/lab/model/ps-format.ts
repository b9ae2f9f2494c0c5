/**
 * procps `ps -o` output, column by column as show_one_proc() lays it out: right-aligned numbers,
 * PID columns as wide as pid_max's digits (4194304 → 7), the last column unlimited, and a value
 * wider than its column pushing the rest right until later padding absorbs it. An all-`=` format
 * prints no header line.
 */
import type { LabProc } from "../state.js";

interface Column {
  header: string;
  width: number;
  align: "right" | "left" | "unlimited";
  value(proc: LabProc): string;
}

const PID_WIDTH = 7;

const FIELDS: Record<string, Omit<Column, "header"> & { header: string }> = {
  pid: { header: "PID", width: PID_WIDTH, align: "right", value: (p) => String(p.pid) },
  ppid: { header: "PPID", width: PID_WIDTH, align: "right", value: (p) => (p.pid === 1 ? "0" : "1") },
  rss: { header: "RSS", width: 5, align: "right", value: (p) => String(p.rss) },
  pcpu: { header: "%CPU", width: 4, align: "right", value: (p) => pcpu(p.cpuPermille) },
  stat: { header: "STAT", width: 4, align: "left", value: (p) => p.state },
  comm: { header: "COMMAND", width: 15, align: "unlimited", value: (p) => p.comm },
  args: { header: "COMMAND", width: 27, align: "unlimited", value: (p) => p.args || `[${p.comm}]` },
};
const ALIASES: Record<string, string> = { "%cpu": "pcpu", cmd: "args", command: "args", ucomm: "comm" };

function pcpu(permille: number): string {
  return permille > 999 ? String(Math.floor(permille / 10)) : `${Math.floor(permille / 10)}.${permille % 10}`;
}

/** `pid=,rss=` → columns; `field=TEXT` renames the header. Null for an unknown field name. */
export function parseFormat(specs: string[]): { columns: Column[]; header: boolean } | { unknown: string } {
  const columns: Column[] = [];
  for (const spec of specs.flatMap((s) => s.split(/[,\s]+/)).filter(Boolean)) {
    const eq = spec.indexOf("=");
    const name = (eq === -1 ? spec : spec.slice(0, eq)).toLowerCase();
    const field = FIELDS[ALIASES[name] ?? name];
    if (!field) return { unknown: spec };
    const header = eq === -1 ? field.header : spec.slice(eq + 1);
    columns.push({ ...field, header, width: Math.max(field.width, header.length) });
  }
  return { columns, header: columns.some((c) => c.header !== "") };
}

/** One line (without newline) for a process, or the header line when `proc` is null. */
export function formatLine(columns: Column[], proc: LabProc | null): string {
  let correct = 0;
  let actual = 0;
  let dospace = 0;
  let line = "";
  columns.forEach((column, i) => {
    const last = i === columns.length - 1;
    let text = proc ? column.value(proc) : column.header;
    if (column.align === "unlimited" && !last) text = text.slice(0, column.width);
    const leftpad = column.align === "right" ? Math.max(0, column.width - text.length) : 0;
    let space = correct - actual + leftpad;
    if (space < 1) space = dospace;
    line += " ".repeat(space) + text;
    actual += space + text.length;
    correct += column.width + 1;
    dospace = 1;
  });
  return line;
}
