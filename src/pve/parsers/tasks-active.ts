/**
 * `/var/log/pve/tasks/active` (proxmox-facts §5.3): running tasks plus recently finished ones.
 * A line without end time only *claims* the task runs; after a crash such lines go stale, so the
 * claim must be checked against `/proc/<pid>/stat` (pid + pstart) before it blocks anything.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { fromHex, splitLines } from "./parser-support.js";
import { parseUpid, taskLogPath, Upid } from "./upid.js";

export const ActiveTask = z.object({
  upid: Upid,
  saved: z.boolean(),
  /** Seconds since the epoch; `null` while the task is (claimed to be) running. */
  endtime: z.number().int().nullable(),
  /** `OK`, `WARNINGS: 1`, `unexpected status` or the error text. */
  status: z.string().nullable(),
  /** No end time recorded. Only a claim: verify pid + pstart elsewhere. */
  running: z.boolean(),
  /** `/var/log/pve/tasks/<X>/<UPID>`, where the task's full log is. */
  logPath: z.string(),
  /** The end status classified: `ok`, `warnings` (with `warningCount`), `error` (with the text), or `running`. */
  outcome: z.enum(["running", "ok", "warnings", "error"]),
  warningCount: z.number().int().nonnegative().nullable(),
  /** The error text when `outcome` is `error` (also `unexpected status`). */
  error: z.string().nullable(),
});
export type ActiveTask = z.infer<typeof ActiveTask>;

/** PVE's end status (`PVE::Tools::upid_normalize_status_type`): OK, `WARNINGS: n`, else an error text. */
export function classifyTaskStatus(
  status: string | null,
): Pick<ActiveTask, "outcome" | "warningCount" | "error"> {
  if (status === null) return { outcome: "running", warningCount: null, error: null };
  if (status === "OK") return { outcome: "ok", warningCount: null, error: null };
  const warnings = /^WARNINGS: (\d+)$/.exec(status);
  if (warnings) return { outcome: "warnings", warningCount: Number(warnings[1]), error: null };
  return { outcome: "error", warningCount: null, error: status };
}

// INotify::read_active_workers: `<UPID> <0|1>[ <endtime>[ <status>]]`.
const LINE = /^(\S+)\s([01])(?:\s([0-9A-Za-z]{8})(?:\s(\s*\S.*))?)?$/;

export function parseTasksActive(text: string): ActiveTask[] {
  const tasks: ActiveTask[] = [];
  splitLines(text).forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === "") return;
    const m = LINE.exec(line);
    if (!m)
      throw new ParseError(
        "tasks-active",
        `expected '<UPID> <0|1> [<endtime> [<status>]]', got '${line}'`,
        lineNo,
      );
    const endtime = m[3] === undefined ? null : fromHex("tasks-active", "endtime", m[3], lineNo);
    const upid = parseUpid(m[1] as string, lineNo);
    const status = m[4] === undefined ? null : m[4].trimEnd();
    tasks.push({
      upid,
      saved: m[2] === "1",
      endtime,
      status,
      running: endtime === null,
      logPath: taskLogPath(upid),
      ...classifyTaskStatus(endtime === null ? null : (status ?? "unexpected status")),
    });
  });
  return tasks;
}

export const tasksActiveFormat: ParserFormat<ActiveTask[]> = {
  name: "tasks-active",
  description: "/var/log/pve/tasks/active: task UPIDs with saved flag, end time and status",
  schema: z.array(ActiveTask),
  parse: parseTasksActive,
};
