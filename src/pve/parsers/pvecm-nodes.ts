/**
 * The "Membership information" block of corosync-quorumtool: `pvecm nodes` (`-l`: decimal ids, nodelist
 * names) and the tail of `pvecm status` (`-siH`: hex ids, IPs). Only members of the current view appear —
 * an offline node is simply absent, so this never answers "which nodes are configured".
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";
import { isStderrLine } from "./stderr-lines.js";

/**
 * The Qdevice column decoded (corosync tools/corosync-quorumtool.c `display_nodes_data`; pve-docs
 * pvecm.adoc "QDevice Status Flags"): `A`/`NA` alive, `V`/`NV` casts vote, `MW`/`NMW` master wins,
 * `NR` not registered on that node (then every flag is false).
 */
export const QdeviceFlags = z.object({
  registered: z.boolean(),
  alive: z.boolean(),
  castsVote: z.boolean(),
  masterWins: z.boolean(),
});
export type QdeviceFlags = z.infer<typeof QdeviceFlags>;

export const QuorumMember = z.object({
  nodeId: z.number().int().positive(),
  votes: z.number().int().nonnegative(),
  /** Qdevice column (`A,V,NMW`, `NA,NV,NMW`, `NR` = not registered); null when the column is not printed. */
  qdevice: z.string().nullable(),
  /** The Qdevice column decoded; null when the column is not printed. */
  qdeviceFlags: QdeviceFlags.nullable(),
  /** nodelist `name` (pvecm nodes) or the node's IP (pvecm status uses `-i`). */
  name: z.string().min(1),
  local: z.boolean(),
});
export type QuorumMember = z.infer<typeof QuorumMember>;

/** The node-id-0 pseudo-row corosync prints for a registered quorum device. */
export const QdeviceRow = z.object({
  /** The device's configured votes (from `(votes N)` when it does not cast them). */
  votes: z.number().int().nonnegative(),
  /** False when the local node's qdevice does not cast its vote (row shows `0 ... Qdevice (votes N)`). */
  castsVote: z.boolean(),
  /** Always 0: corosync prints the device under node id 0. */
  nodeId: z.number().int(),
  /** The row's name column, `Qdevice`. */
  name: z.string(),
  /** Votes the device is configured with (the same as `votes`, kept apart from what is displayed). */
  configuredVotes: z.number().int().nonnegative(),
  /** The Votes column as printed: 0 when the device does not cast its vote. */
  displayedVotes: z.number().int().nonnegative(),
});
export type QdeviceRow = z.infer<typeof QdeviceRow>;

export const PvecmNodes = z.array(QuorumMember);
export type PvecmNodes = z.infer<typeof PvecmNodes>;

export type NumberedLine = { no: number; text: string };

export function numberLines(text: string): NumberedLine[] {
  return text.split(/\r?\n/).map((line, i) => ({ no: i + 1, text: line }));
}

/** `0x00000001` (`-H`) or `1`. */
export function parseNodeId(raw: string, format: string, line: number): number {
  if (/^0x[0-9a-f]+$/i.test(raw)) return Number.parseInt(raw.slice(2), 16);
  if (/^\d+$/.test(raw)) return Number.parseInt(raw, 10);
  throw new ParseError(format, `expected a node id (decimal or 0x hex), got '${raw}'`, line);
}

/** `A,V,NMW` → booleans; unknown words are ignored so a future flag does not break the row. */
export function decodeQdeviceFlags(raw: string): QdeviceFlags {
  const words = new Set(raw.split(","));
  if (words.has("NR")) return { registered: false, alive: false, castsVote: false, masterWins: false };
  return { registered: true, alive: words.has("A"), castsVote: words.has("V"), masterWins: words.has("MW") };
}

const HEADER = /^\s*Nodeid\s+(Votes\s+)?(Qdevice\s+)?Name\s*$/;
const ROW = /^\s*(0x[0-9a-fA-F]+|\d+)\s+(\d+)\s+(.*?)\s*$/;
// Printed on stdout in the middle of the block when votequorum has no info for a member.
const NODE_INFO_WARNING = /^Unable to get node \d+ info$/;

/** Parses the lines after the `Membership information` underline. */
export function parseMembership(
  lines: NumberedLine[],
  format: string,
): { members: QuorumMember[]; qdevice: QdeviceRow | null } {
  const members: QuorumMember[] = [];
  let qdevice: QdeviceRow | null = null;
  let hasQdeviceColumn: boolean | null = null;
  for (const { no, text } of lines) {
    if (text.trim() === "" || NODE_INFO_WARNING.test(text.trim())) continue;
    if (hasQdeviceColumn === null) {
      const header = HEADER.exec(text);
      if (!header) throw new ParseError(format, `expected the 'Nodeid Votes Name' header, got '${text}'`, no);
      if (!header[1]) {
        throw new ParseError(format, "membership has no Votes column: corosync is not using votequorum", no);
      }
      hasQdeviceColumn = header[2] !== undefined;
      continue;
    }
    const row = ROW.exec(text);
    if (!row) throw new ParseError(format, `cannot read membership row '${text}'`, no);
    const nodeId = parseNodeId(row[1]!, format, no);
    const votes = Number.parseInt(row[2]!, 10);
    const rest = row[3]!;
    if (nodeId === 0) {
      // Node id 0 is never a real node: it is the quorum device's own row.
      const notCasting = /\(votes (\d+)\)$/.exec(rest);
      const configured = notCasting ? Number.parseInt(notCasting[1]!, 10) : votes;
      const name = /(\S+)(?: \(votes \d+\))?$/.exec(rest.trim())?.[1] ?? "Qdevice";
      qdevice = {
        votes: configured,
        castsVote: !notCasting,
        nodeId,
        name,
        configuredVotes: configured,
        displayedVotes: votes,
      };
      continue;
    }
    let qdeviceFlags: string | null = null;
    let name = rest;
    if (hasQdeviceColumn) {
      const split = /^(\S+)\s+(.*)$/.exec(rest);
      if (!split) throw new ParseError(format, `row has no Qdevice column value: '${text}'`, no);
      qdeviceFlags = split[1]!;
      name = split[2]!;
    }
    const local = name.endsWith(" (local)");
    if (local) name = name.slice(0, -" (local)".length);
    if (name === "" || /\s/.test(name))
      throw new ParseError(format, `cannot read node name in '${text}'`, no);
    members.push({
      nodeId,
      votes,
      qdevice: qdeviceFlags,
      qdeviceFlags: qdeviceFlags === null ? null : decodeQdeviceFlags(qdeviceFlags),
      name,
      local,
    });
  }
  if (hasQdeviceColumn === null) throw new ParseError(format, "membership block has no header line");
  return { members, qdevice };
}

const TITLE = "Membership information";

/** Parses `pvecm nodes` / `corosync-quorumtool -l` stdout (starts with an empty line). */
export function parsePvecmNodes(text: string): PvecmNodes {
  const lines = numberLines(text);
  const start = lines.findIndex((l) => l.text.trim() === TITLE);
  if (start < 0) throw new ParseError("pvecm-nodes", `no '${TITLE}' heading`);
  for (const l of lines.slice(0, start)) {
    if (l.text.trim() !== "") throw new ParseError("pvecm-nodes", `unexpected text '${l.text}'`, l.no);
  }
  const underline = lines[start + 1];
  if (!underline || !/^\s*[-~]{3,}\s*$/.test(underline.text)) {
    throw new ParseError("pvecm-nodes", `'${TITLE}' is not followed by an underline`, start + 2);
  }
  return validated("pvecm-nodes", PvecmNodes, parseMembership(lines.slice(start + 2), "pvecm-nodes").members);
}

export const PvecmNodesReading = z.object({
  state: z.enum(["running", "corosync-down"]),
  members: PvecmNodes,
  qdevice: QdeviceRow.nullable(),
  /** `Cannot initialize CMAP service` (corosync-quorumtool) when corosync is down. */
  error: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type PvecmNodesReading = z.infer<typeof PvecmNodesReading>;

const CANNOT_INIT = /^Cannot initiali[sz]e \w+ service/;

/** `pvecm nodes` read as an answer (2>&1 accepted): corosync down is a state, stderr is kept. */
export function readPvecmNodes(text: string): PvecmNodesReading {
  const lines = numberLines(text);
  const stderr = lines.filter((l) => isStderrLine(l.text));
  const warnings = stderr.map((l) => l.text.trim());
  const error = warnings.find((w) => CANNOT_INIT.test(w)) ?? null;
  const start = lines.findIndex((l) => l.text.trim() === TITLE);
  if (start < 0 && error !== null)
    return { state: "corosync-down", members: [], qdevice: null, error, warnings };
  const kept = lines.map((l) => (isStderrLine(l.text) ? "" : l.text)).join("\n");
  const members = parsePvecmNodes(kept);
  const block = numberLines(kept).slice(start + 2);
  return {
    state: "running",
    members,
    qdevice: parseMembership(block, "pvecm-nodes").qdevice,
    error,
    warnings,
  };
}

export const pvecmNodesFormat: ParserFormat<PvecmNodesReading> = {
  name: "pvecm-nodes",
  description:
    "`pvecm nodes` / `corosync-quorumtool -l`: current members (decimal ids, names); corosync down is a state",
  schema: PvecmNodesReading,
  parse: readPvecmNodes,
};
