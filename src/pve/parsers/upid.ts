/** PVE task identifiers, `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:` (proxmox-facts §5.3). */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { fromHex } from "./parser-support.js";

export const Upid = z.object({
  node: z.string().min(1),
  pid: z.number().int().nonnegative(),
  /** Process start in clock ticks since boot (`/proc/<pid>/stat` field 22): proves the pid was not reused. */
  pstart: z.number().int().nonnegative(),
  /** Task start, seconds since the epoch. */
  starttime: z.number().int().nonnegative(),
  type: z.string().min(1),
  /** Usually the VMID; empty for multi-guest vzdump jobs. */
  id: z.string(),
  user: z.string().min(1),
  raw: z.string(),
});
export type Upid = z.infer<typeof Upid>;

// PVE::UPID::decode; pstart gets longer than 8 digits after ~497 days of uptime.
const UPID_RE =
  /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,16}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

export function parseUpid(text: string, line?: number): Upid {
  const raw = text.trim();
  const m = UPID_RE.exec(raw);
  if (!m) throw new ParseError("upid", `not a task UPID: '${raw}'`, line);
  return {
    node: m[1] as string,
    pid: fromHex("upid", "pid", m[2] as string, line),
    pstart: fromHex("upid", "pstart", m[3] as string, line),
    starttime: fromHex("upid", "starttime", m[4] as string, line),
    type: m[5] as string,
    id: m[6] as string,
    user: m[7] as string,
    raw,
  };
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, "0");
}

/** Build the UPID string exactly as `PVE::UPID::encode` does (upper-case hex, trailing colon). */
export function formatUpid(upid: Omit<Upid, "raw">): string {
  const { node, pid, pstart, starttime, type, id, user } = upid;
  return `UPID:${node}:${hex8(pid)}:${hex8(pstart)}:${hex8(starttime)}:${type}:${id}:${user}:`;
}

/** The task log file: `/var/log/pve/tasks/<last hex digit of starttime>/<UPID>`. */
export function taskLogPath(upid: Pick<Upid, "raw">): string {
  const starttime = upid.raw.split(":")[4] ?? "";
  return `/var/log/pve/tasks/${starttime.slice(-1)}/${upid.raw}`;
}

export const upidFormat: ParserFormat<Upid> = {
  name: "upid",
  description: "One task UPID (UPID:node:pid:pstart:starttime:type:id:user:) decoded",
  schema: Upid,
  parse: (text) => parseUpid(text),
};
