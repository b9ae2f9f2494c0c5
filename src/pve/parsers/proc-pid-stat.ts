/** `/proc/<pid>/stat`: enough to prove that a task's pid still belongs to the process that started it. */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { toInt } from "./parser-support.js";

export const ProcPidStat = z.object({
  pid: z.number().int().nonnegative(),
  comm: z.string(),
  /** `R`, `S`, `D`, `Z` (zombie: not running for PVE's purposes), ... */
  state: z.string().min(1),
  /** Field 22, clock ticks since boot; compare with a UPID's `pstart`. */
  starttime: z.number().int().nonnegative(),
});
export type ProcPidStat = z.infer<typeof ProcPidStat>;

const FORMAT = "proc-pid-stat";

export function parseProcPidStat(text: string): ProcPidStat {
  const stat = text.trim();
  const open = stat.indexOf("(");
  // comm may itself contain spaces and ')', so the name ends at the LAST ')'.
  const close = stat.lastIndexOf(")");
  if (open < 1 || close < open)
    throw new ParseError(FORMAT, `expected 'pid (comm) state ...', got '${stat}'`, 1);
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const starttime = fields[19];
  if (state === undefined || starttime === undefined) {
    throw new ParseError(FORMAT, `expected at least 22 fields, got ${fields.length + 2}`, 1);
  }
  return {
    pid: toInt(FORMAT, "pid", stat.slice(0, open).trim(), 1),
    comm: stat.slice(open + 1, close),
    state,
    starttime: toInt(FORMAT, "starttime", starttime, 1),
  };
}

export const procPidStatFormat: ParserFormat<ProcPidStat> = {
  name: FORMAT,
  description: "/proc/<pid>/stat: pid, comm, state and start time (field 22)",
  schema: ProcPidStat,
  parse: parseProcPidStat,
};
