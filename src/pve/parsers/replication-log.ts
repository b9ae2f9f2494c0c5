/**
 * A replication job's log of its last run, `/var/log/pve/replicate/<jobid>` (proxmox-facts §7.2;
 * pve-guest-common PVE/Replication.pm `run_replication` logs through `$logfunc` as
 * `YYYY-MM-DD HH:MM:SS <jobid>: <msg>`). The end is `end replication job` or, on failure,
 * `end replication job with error: <msg>`. A message is printed as it is (`print $logfd "$ctime
 * $jobid: $msg\n"`), so a multi-line error — "No common base snapshot on volume(s) …" + newline +
 * "Please remove …" — continues on lines without the prefix: they belong to the line before.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";

export const ReplicationLogLine = z.object({
  /** `2026-03-11T14:00:01` (node-local time, no zone). */
  time: z.string(),
  jobId: z.string(),
  message: z.string(),
});
export const ReplicationLog = z.object({
  jobId: z.string(),
  startedAt: z.string(),
  /** `ok`, `error`, or `running` when no end line is there. */
  status: z.enum(["ok", "error", "running"]),
  error: z.string().nullable(),
  /** Snapshot names created or deleted (`__replicate_<job>_<epoch>__`). */
  snapshots: z.array(z.string()),
  /** Whether the run sent a full stream (no common base) instead of an incremental one. */
  fullSync: z.boolean(),
  lines: z.array(ReplicationLogLine),
  /** Lines without the log prefix before the first prefixed one (kept, not read). */
  warnings: z.array(z.string()),
});
export type ReplicationLog = z.infer<typeof ReplicationLog>;

const LINE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) (\d+-\d+): (.*)$/;

export function parseReplicationLog(text: string): ReplicationLog {
  const lines: z.infer<typeof ReplicationLogLine>[] = [];
  const warnings: string[] = [];
  for (const raw of splitLines(text)) {
    if (raw.trim() === "") continue;
    const m = LINE.exec(raw.trim());
    const previous = lines[lines.length - 1];
    if (m) lines.push({ time: `${m[1]}T${m[2]}`, jobId: m[3] as string, message: m[4] as string });
    else if (previous) previous.message += `\n${raw.trimEnd()}`;
    else warnings.push(raw.trim());
  }
  const first = lines[0];
  if (!first) throw new ParseError("replication-log", "no 'YYYY-MM-DD HH:MM:SS <jobid>: <message>' line");
  const end = [...lines].reverse().find((l) => /^end replication job\b/.test(l.message));
  const error = end ? (/^end replication job with error: (.*)$/s.exec(end.message)?.[1] ?? null) : null;
  const snapshots = new Set<string>();
  for (const l of lines)
    for (const s of l.message.matchAll(/__replicate_[\w-]+?_\d+__/g)) snapshots.add(s[0]);
  return {
    jobId: first.jobId,
    startedAt: first.time,
    status: !end ? "running" : error !== null ? "error" : "ok",
    error,
    snapshots: [...snapshots],
    fullSync: lines.some((l) => /full sync|no common base|full send/i.test(l.message)),
    lines,
    warnings,
  };
}

export const replicationLogFormat: ParserFormat<ReplicationLog> = {
  name: "replication-log",
  description: "a replication job log (/var/log/pve/replicate/<job>): start, end status, error, snapshots",
  schema: ReplicationLog,
  parse: parseReplicationLog,
};
