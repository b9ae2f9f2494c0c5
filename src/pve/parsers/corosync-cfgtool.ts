/**
 * `corosync-cfgtool -s` in every layout PVE has shipped: knet per-node link status (corosync ≥ 3.1.5,
 * 3.1.1–3.1.4, 3.0.2–3.1.0 with `Printing link status.`, 3.0.0/3.0.1 with `link enabled:1`) and the
 * corosync 2.x RRP ring status. The exit status is 0 even with disconnected links on current versions,
 * so callers must read the text, not the exit code.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";
import { isStderrLine } from "./stderr-lines.js";

export const LinkNodeStatus = z.enum([
  "localhost",
  "connected",
  "disconnected",
  "knet-error",
  "config-error",
  "unknown",
]);
export type LinkNodeStatus = z.infer<typeof LinkNodeStatus>;

export const CfgtoolLinkNode = z.object({
  /** For corosync 3.0.0/3.0.1 (`node 0:` rows) this is corosync's position in its host list, not a node id. */
  nodeId: z.number().int().nonnegative(),
  status: LinkNodeStatus,
  /** null when the layout does not report it (current corosync prints only connected/disconnected). */
  enabled: z.boolean().nullable(),
});
export type CfgtoolLinkNode = z.infer<typeof CfgtoolLinkNode>;

export const CfgtoolLink = z.object({
  linkId: z.number().int().nonnegative(),
  /** knet transport of the link (`udp`, `sctp`); null when not printed. */
  transport: z.string().nullable(),
  addr: z.string().nullable(),
  nodes: z.array(CfgtoolLinkNode),
  /** `\tstatus\t= …` one-line status (e.g. `OK`) printed instead of per-node rows; null otherwise. */
  summary: z.string().nullable(),
});
export type CfgtoolLink = z.infer<typeof CfgtoolLink>;

export const CfgtoolRing = z.object({
  ringId: z.number().int().nonnegative(),
  addr: z.string(),
  status: z.string(),
  faulty: z.boolean(),
});
export type CfgtoolRing = z.infer<typeof CfgtoolRing>;

export const CfgtoolStatus = z.object({
  localNodeId: z.number().int().nonnegative(),
  /** Totem transport from `Local node ID 1, transport knet` (corosync ≥ 3.1.1); null on older versions. */
  transport: z.string().nullable(),
  links: z.array(CfgtoolLink),
  /** corosync 2.x redundant rings; empty on corosync 3. */
  rings: z.array(CfgtoolRing),
});
export type CfgtoolStatus = z.infer<typeof CfgtoolStatus>;

const FORMAT = "corosync-cfgtool";

const LOCAL = /^Local node ID (\d+)(?:, transport (\S+))?$/;
// `LINK ID 0 udp`, `LINK ID 0` and, for udp/udpu totem transports, `LINK ID 0 ` (empty word).
const LINK = /^LINK ID (\d+)(?:\s+(\S+))?$/;
const RING = /^RING ID (\d+)$/;
const ADDR = /^(addr|id)\s*=\s*(.*)$/;
const STATUS_LINE = /^status\s*=\s*(.*)$/;
// `nodeid:          1:\tstate` (≥ 3.1.1) and `nodeid  1:\tstate` (3.0.2–3.1.0).
const NODE_STATE = /^nodeid(:)?\s*(\d+):\s*(.+)$/;
// `node 0:\tlink enabled:1\tlink connected:1` (3.0.0) and `nodeid  1:\tlink enabled:…` (3.0.1).
const NODE_BITS = /^node(?:id)?\s+(\d+):\s*link enabled:([01])\s+link connected:([01])$/;

function readState(text: string, newLayout: boolean): Pick<CfgtoolLinkNode, "status" | "enabled"> {
  const notEnabled = / \(not enabled\)$/.test(text);
  const state = text.replace(/ \(not enabled\)$/, "");
  // In the 3.0.2–3.1.0 layout a bare connected/disconnected means the link is enabled.
  const enabled = notEnabled ? false : newLayout ? null : true;
  switch (state) {
    case "localhost":
      return { status: "localhost", enabled: null };
    case "connected":
    case "disconnected":
      return { status: state, enabled };
    case "knet error":
      return { status: "knet-error", enabled: null };
    case "config error":
      return { status: "config-error", enabled: null };
    default:
      return { status: "unknown", enabled: null };
  }
}

type RingDraft = { ringId: number; no: number; addr?: string; status?: string };

function finishRing(ring: RingDraft): CfgtoolRing {
  if (ring.addr === undefined || ring.status === undefined) {
    throw new ParseError(FORMAT, `RING ID ${ring.ringId} has no id/status lines`, ring.no);
  }
  return { ringId: ring.ringId, addr: ring.addr, status: ring.status, faulty: /FAULTY/.test(ring.status) };
}

export function parseCorosyncCfgtool(text: string): CfgtoolStatus {
  let localNodeId: number | null = null;
  let transport: string | null = null;
  const links: CfgtoolLink[] = [];
  const rings: RingDraft[] = [];
  let link: CfgtoolLink | null = null;
  let ring: RingDraft | null = null;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const no = i + 1;
    // Whitespace is matched loosely: pasted copies often lose the tabs.
    const line = raw.trim();
    // `**SCTP is deprecated…` follows an sctp link line; the header lines carry no data.
    if (
      line === "" ||
      line.startsWith("**") ||
      /^Printing (link|ring) status\.$/.test(line) ||
      line === "status:"
    ) {
      continue;
    }
    const local = LOCAL.exec(line);
    if (local) {
      localNodeId = Number(local[1]);
      transport = local[2] ?? null;
      continue;
    }
    const linkHead = LINK.exec(line);
    if (linkHead) {
      ring = null;
      link = {
        linkId: Number(linkHead[1]),
        transport: linkHead[2] ?? null,
        addr: null,
        nodes: [],
        summary: null,
      };
      links.push(link);
      continue;
    }
    const ringHead = RING.exec(line);
    if (ringHead) {
      link = null;
      ring = { ringId: Number(ringHead[1]), no };
      rings.push(ring);
      continue;
    }
    const addr = ADDR.exec(line);
    const status = STATUS_LINE.exec(line);
    const bits = NODE_BITS.exec(line);
    const state = NODE_STATE.exec(line);
    if (ring && addr) ring.addr = addr[2]!;
    else if (ring && status) ring.status = status[1]!;
    else if (link && addr) link.addr = addr[2]!;
    else if (link && status) link.summary = status[1]!;
    else if (link && bits) {
      const connected = bits[3] === "1";
      link.nodes.push({
        nodeId: Number(bits[1]),
        status: connected ? "connected" : "disconnected",
        enabled: bits[2] === "1",
      });
    } else if (link && state) {
      link.nodes.push({ nodeId: Number(state[2]), ...readState(state[3]!.trim(), state[1] === ":") });
    } else if (/^Could not /.test(line)) {
      throw new ParseError(FORMAT, `corosync-cfgtool reported an error: ${line}`, no);
    } else {
      throw new ParseError(FORMAT, `unexpected line '${line}'`, no);
    }
  }
  if (localNodeId === null) throw new ParseError(FORMAT, "no 'Local node ID' line");
  return validated(FORMAT, CfgtoolStatus, { localNodeId, transport, links, rings: rings.map(finishRing) });
}

/**
 * Node ids that are `disconnected` on every link. A node missing from any link, or in an error or unknown
 * state, is not counted: the split-brain guard may only act on positive evidence.
 */
export function unreachableOnEveryLink(s: CfgtoolStatus): number[] {
  if (s.links.length === 0) return [];
  const ids = new Set(s.links.flatMap((l) => l.nodes.map((n) => n.nodeId)));
  return [...ids]
    .filter((id) => s.links.every((l) => l.nodes.some((n) => n.nodeId === id && n.status === "disconnected")))
    .sort((a, b) => a - b);
}

/** `-s` read as an answer: stderr kept as warnings, corosync not running is a state. */
export const CfgtoolReading = CfgtoolStatus.extend({
  localNodeId: z.number().int().nonnegative().nullable(),
  state: z.enum(["running", "corosync-down"]),
  /** `Could not initialize corosync configuration API error 2` when corosync is down. */
  error: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type CfgtoolReading = z.infer<typeof CfgtoolReading>;

const COULD_NOT = /^Could not initiali[sz]e corosync configuration API/;

export function readCorosyncCfgtool(text: string): CfgtoolReading {
  const kept: string[] = [];
  const warnings: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (COULD_NOT.test(line.trim()) || isStderrLine(line)) {
      warnings.push(line.trim());
      kept.push("");
    } else kept.push(line);
  }
  const error = warnings.find((w) => COULD_NOT.test(w)) ?? null;
  if (error !== null && !kept.some((l) => LOCAL.test(l.trim()))) {
    return {
      localNodeId: null,
      transport: null,
      links: [],
      rings: [],
      state: "corosync-down",
      error,
      warnings,
    };
  }
  return { ...parseCorosyncCfgtool(kept.join("\n")), state: "running", error, warnings };
}

export const corosyncCfgtoolFormat: ParserFormat<CfgtoolReading> = {
  name: "corosync-cfgtool",
  description:
    "`corosync-cfgtool -s`: knet link status per node (corosync 3) or RRP rings (corosync 2); corosync down is a state",
  schema: CfgtoolReading,
  parse: readCorosyncCfgtool,
};
