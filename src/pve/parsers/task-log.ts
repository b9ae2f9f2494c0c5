/**
 * A PVE task log (`/var/log/pve/tasks/<X>/<UPID>`, proxmox-facts §5.3; pve-common
 * PVE/RESTEnvironment.pm `fork_worker`): free text whose last line is `TASK OK`, `TASK WARNINGS: <n>`
 * or `TASK ERROR: <msg>`; a log without such a line belongs to a task still running (or killed).
 * Replication job logs (`/var/log/pve/replicate/<jobid>`) are read by `replication-log`.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";

export const TaskLog = z.object({
  /** `ok`, `warnings`, `error`, or `running` when no end line was written (yet). */
  status: z.enum(["ok", "warnings", "error", "running"]),
  /** The end line as printed (`TASK WARNINGS: 2`); null when running. */
  endLine: z.string().nullable(),
  /** Count from `TASK WARNINGS: n`; null otherwise. */
  warningCount: z.number().int().nonnegative().nullable(),
  /** Text after `TASK ERROR: `; null otherwise. */
  error: z.string().nullable(),
  /** Lines starting with `WARN:` (what the warning count counts). */
  warnings: z.array(z.string()),
  lines: z.number().int().nonnegative(),
});
export type TaskLog = z.infer<typeof TaskLog>;

const END = /^TASK (?:(OK)|WARNINGS: (\d+)|ERROR: (.*))\s*$/;

export function parseTaskLog(text: string): TaskLog {
  const lines = splitLines(text);
  const warnings = lines.filter((l) => /^WARN: /.test(l)).map((l) => l.slice(6).trim());
  let last = lines.length - 1;
  while (last >= 0 && (lines[last] as string).trim() === "") last--;
  const end = last >= 0 ? END.exec((lines[last] as string).trim()) : null;
  if (!end && !lines.some((l) => /^(?:INFO|WARN|ERROR|TASK|starting|trying|\d{4}-\d\d-\d\d|\S+: )/.test(l))) {
    throw new ParseError("task-log", "no TASK OK / TASK WARNINGS / TASK ERROR line and no task output");
  }
  return {
    status: !end ? "running" : end[1] ? "ok" : end[2] !== undefined ? "warnings" : "error",
    endLine: end ? (lines[last] as string).trim() : null,
    warningCount: end?.[2] !== undefined ? Number(end[2]) : null,
    error: end?.[3] !== undefined ? (end[3] as string) : null,
    warnings,
    lines: lines.length,
  };
}

export const taskLogFormat: ParserFormat<TaskLog> = {
  name: "task-log",
  description: "a task log (/var/log/pve/tasks/X/UPID): end status OK / WARNINGS n / ERROR text, or running",
  schema: TaskLog,
  parse: parseTaskLog,
};
