/**
 * The cluster log, `pvesh get /cluster/log --output-format json` (pve-manager PVE/API2/Cluster.pm
 * `log`, entries from pmxcfs' clusterlog: `uid`, `time`, `pri` (syslog priority), `tag`, `pid`,
 * `node`, `user`, `msg`). A `{ "data": [...] }` wrapper (the raw API) is accepted too.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";

export const ClusterLogEntry = z.object({
  uid: z.number().int(),
  /** Unix epoch seconds. */
  time: z.number().int(),
  /** syslog priority: 0 emerg … 3 err, 4 warning, 6 info, 7 debug. */
  pri: z.number().int(),
  tag: z.string(),
  pid: z.number().int(),
  node: z.string(),
  user: z.string(),
  msg: z.string(),
  /** `time` as ISO 8601 UTC; null when out of range. */
  at: z.string().nullable(),
  /** pri ≤ 3. */
  isError: z.boolean(),
});
export const ClusterLog = z.array(ClusterLogEntry);
export type ClusterLog = z.infer<typeof ClusterLog>;

const Raw = z.array(
  z.object({
    uid: z.number().int(),
    time: z.number().int(),
    pri: z.number().int(),
    tag: z.string(),
    pid: z.number().int(),
    node: z.string(),
    user: z.string(),
    msg: z.string(),
  }),
);

export function parseClusterLog(text: string): ClusterLog {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ParseError("cluster-log", `not JSON: ${(e as Error).message}`);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "data" in value) {
    value = (value as { data: unknown }).data;
  }
  return validated("cluster-log", Raw, value).map((e) => ({
    ...e,
    at: Math.abs(e.time) < 8.64e12 ? new Date(e.time * 1000).toISOString().replace(".000Z", "Z") : null,
    isError: e.pri <= 3,
  }));
}

export const clusterLogFormat: ParserFormat<ClusterLog> = {
  name: "cluster-log",
  description: "pvesh get /cluster/log --output-format json: cluster log entries with time, node, tag, msg",
  schema: ClusterLog,
  parse: parseClusterLog,
};
