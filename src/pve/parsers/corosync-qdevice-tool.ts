/**
 * `corosync-qdevice-tool -s` and `-sv` (proxmox-facts §1.5; corosync/corosync-qdevice
 * qdevices/qdevice-ipc-cmd.c, qdevice-net-ipc-cmd.c): `Qdevice information` and
 * `Qdevice-net information` blocks of `Key:<tabs>value` lines, node lists as indented
 * `<i>\tNode ID = <id>[, State = <state>]` lines. When the daemon is not running the tool prints
 * `Can't connect to QDevice socket (is QDevice running?): ...` — a state, not unreadable input.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";

export const QdeviceToolStatus = z.object({
  /** `running`, or `not-running` when the tool could not reach corosync-qdevice. */
  state: z.enum(["running", "not-running"]),
  error: z.string().nullable(),
  model: z.string().nullable(),
  nodeId: z.number().int().nullable(),
  configuredNodes: z.array(z.number().int()),
  membershipNodes: z.array(z.number().int()),
  clusterName: z.string().nullable(),
  /** `10.0.0.9:5403`. */
  qnetdHost: z.string().nullable(),
  algorithm: z.string().nullable(),
  tieBreaker: z.string().nullable(),
  /** `Connected`, `Connecting`, `Connect failed`, `Disconnected`. */
  connectionState: z.string().nullable(),
  connected: z.boolean(),
  /** `-sv` only: the vote the last poll cast (`cast vote`, `ask later`, `no change`…). */
  lastPollVote: z.string().nullable(),
  /** `-sv`: `Quorum node list` with each node's state. */
  quorumNodes: z.array(z.object({ nodeId: z.number().int(), state: z.string() })),
  /** Every `Key: value` line as printed (both blocks). */
  fields: z.record(z.string(), z.string()),
  warnings: z.array(z.string()),
});
export type QdeviceToolStatus = z.infer<typeof QdeviceToolStatus>;

const FORMAT = "corosync-qdevice-tool";
// Real corosync-qdevice 3 prefixes the tool's name (`corosync-qdevice-tool: Can't connect…`, exit 3).
const NOT_RUNNING = /^(?:corosync-qdevice-tool: )?Can't connect to QDevice socket/;
const FIELD = /^([A-Za-z][A-Za-z -]*?):\s*(.*)$/;
const LIST_ITEM = /^\s+\d+\s+Node ID = (\d+)(?:, State = (\S+))?/;
const ids = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter((x) => /^\d+$/.test(x))
    .map(Number);

export function parseQdeviceTool(text: string): QdeviceToolStatus {
  const fields: Record<string, string> = {};
  const warnings: string[] = [];
  const configuredNodes: number[] = [];
  const quorumNodes: Array<{ nodeId: number; state: string }> = [];
  let list: "configured" | "quorum" | null = null;
  let error: string | null = null;
  let sawHeading = false;
  for (const raw of splitLines(text)) {
    const line = raw.trimEnd();
    if (line.trim() === "" || /^-+$/.test(line.trim())) continue;
    if (/^Qdevice(?:-net)? information$/.test(line.trim())) {
      sawHeading = true;
      continue;
    }
    if (NOT_RUNNING.test(line.trim())) {
      error = line.trim();
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item && list !== null) {
      if (list === "configured") configuredNodes.push(Number(item[1]));
      else quorumNodes.push({ nodeId: Number(item[1]), state: item[2] ?? "" });
      continue;
    }
    const f = FIELD.exec(line.trim());
    if (f && !/^\s/.test(line)) {
      const key = (f[1] as string).trim();
      fields[key] = (f[2] as string).trim();
      list = key === "Configured node list" ? "configured" : key === "Quorum node list" ? "quorum" : null;
      continue;
    }
    warnings.push(line.trim());
  }
  if (error !== null && !sawHeading) {
    return {
      state: "not-running",
      error,
      model: null,
      nodeId: null,
      configuredNodes: [],
      membershipNodes: [],
      clusterName: null,
      qnetdHost: null,
      algorithm: null,
      tieBreaker: null,
      connectionState: null,
      connected: false,
      lastPollVote: null,
      quorumNodes: [],
      fields,
      warnings,
    };
  }
  if (!sawHeading) throw new ParseError(FORMAT, "no 'Qdevice information' heading");
  const nodeId = fields["Node ID"];
  const connectionState = fields.State ?? null;
  return {
    state: "running",
    error,
    model: fields.Model ?? null,
    nodeId: nodeId !== undefined && /^\d+$/.test(nodeId) ? Number(nodeId) : null,
    configuredNodes,
    membershipNodes: ids(fields["Membership node list"]),
    clusterName: fields["Cluster name"] ?? null,
    qnetdHost: fields["QNetd host"] ?? null,
    algorithm: fields.Algorithm ?? null,
    tieBreaker: fields["Tie-breaker"] ?? null,
    connectionState,
    connected: connectionState === "Connected",
    lastPollVote: /\(([^)]+)\)\s*$/.exec(fields["Last poll call"] ?? "")?.[1] ?? null,
    quorumNodes,
    fields,
    warnings,
  };
}

export const corosyncQdeviceToolFormat: ParserFormat<QdeviceToolStatus> = {
  name: FORMAT,
  description: "corosync-qdevice-tool -s / -sv: model, QNetd host, algorithm, connection state, node lists",
  schema: QdeviceToolStatus,
  parse: parseQdeviceTool,
};
