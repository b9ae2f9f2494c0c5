/**
 * `corosync-cfgtool -n` (corosync ≥ 3.1; corosync/corosync tools/corosync-cfgtool.c
 * `nodestatusget_do`, ACTION_NODESTATUS_GET): `Local node ID <n>, transport <t>`, then for every
 * REACHABLE remote node `nodeid: <id> reachable[ remote][ external][   onwire (min/max/cur): a, b, c]`
 * and one `   LINK: <n> <transport> (<src>-><dst>) enabled[ connected][ dynconnected] mtu: <m>`
 * line per enabled link, then an empty line. Unreachable nodes are not printed at all.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";
import { isStderrLine } from "./stderr-lines.js";

export const CfgtoolNodeLink = z.object({
  linkId: z.number().int().nonnegative(),
  transport: z.string(),
  src: z.string(),
  dst: z.string(),
  enabled: z.boolean(),
  connected: z.boolean(),
  dynconnected: z.boolean(),
  mtu: z.number().int(),
});
export const CfgtoolNode = z.object({
  nodeId: z.number().int().nonnegative(),
  reachable: z.boolean(),
  remote: z.boolean(),
  external: z.boolean(),
  /** knet on-wire protocol versions; null when corosync was built without them. */
  onwire: z.object({ min: z.number().int(), max: z.number().int(), current: z.number().int() }).nullable(),
  links: z.array(CfgtoolNodeLink),
});
export const CfgtoolNodes = z.object({
  /** `running`, or `corosync-down` when the tool could not reach corosync. */
  state: z.enum(["running", "corosync-down"]),
  error: z.string().nullable(),
  localNodeId: z.number().int().nullable(),
  transport: z.string().nullable(),
  /** Reachable remote nodes only: a configured node missing here is unreachable. */
  nodes: z.array(CfgtoolNode),
  warnings: z.array(z.string()),
});
export type CfgtoolNodes = z.infer<typeof CfgtoolNodes>;

const FORMAT = "corosync-cfgtool-nodes";
const LOCAL = /^Local node ID (\d+), transport (\S+)\s*$/;
const NODE = /^nodeid:\s*(\d+)((?: \w+)*?)(?:\s+onwire \(min\/max\/cur\): (\d+), (\d+), (\d+))?\s*$/;
const LINK = /^\s+LINK:\s+(\d+)\s+(\S*)\s+\((.*?)(?:->(.*?))?\)((?: \w+)*) mtu: (-?\d+)\s*$/;

export function parseCfgtoolNodes(text: string): CfgtoolNodes {
  const warnings: string[] = [];
  const nodes: z.infer<typeof CfgtoolNode>[] = [];
  let local: RegExpExecArray | null = null;
  let error: string | null = null;
  splitLines(text).forEach((line, i) => {
    if (line.trim() === "") return;
    const l = LOCAL.exec(line.trim());
    if (l) {
      local = l;
      return;
    }
    const n = NODE.exec(line.trim());
    if (n && !/^\s/.test(line)) {
      const words = new Set((n[2] ?? "").trim().split(/\s+/));
      nodes.push({
        nodeId: Number(n[1]),
        reachable: words.has("reachable"),
        remote: words.has("remote"),
        external: words.has("external"),
        onwire: n[3] ? { min: Number(n[3]), max: Number(n[4]), current: Number(n[5]) } : null,
        links: [],
      });
      return;
    }
    const k = LINK.exec(line);
    const owner = nodes[nodes.length - 1];
    if (k && owner) {
      const flags = new Set((k[5] ?? "").trim().split(/\s+/));
      owner.links.push({
        linkId: Number(k[1]),
        transport: k[2] as string,
        src: k[3] as string,
        dst: k[4] ?? "",
        enabled: flags.has("enabled"),
        connected: flags.has("connected"),
        dynconnected: flags.has("dynconnected"),
        mtu: Number(k[6]),
      });
      return;
    }
    if (/^Could not initiali[sz]e corosync/.test(line.trim()) || isStderrLine(line)) {
      if (/^Could not initiali[sz]e corosync/.test(line.trim())) error = line.trim();
      warnings.push(line.trim());
      return;
    }
    throw new ParseError(FORMAT, `expected a 'nodeid:' or 'LINK:' line, got '${line.trim()}'`, i + 1);
  });
  const found = local as RegExpExecArray | null;
  if (!found) {
    if (error !== null)
      return { state: "corosync-down", error, localNodeId: null, transport: null, nodes: [], warnings };
    throw new ParseError(FORMAT, "no 'Local node ID <n>, transport <t>' line");
  }
  return {
    state: "running",
    error,
    localNodeId: Number(found[1]),
    transport: found[2] as string,
    nodes,
    warnings,
  };
}

export const corosyncCfgtoolNodesFormat: ParserFormat<CfgtoolNodes> = {
  name: FORMAT,
  description: "corosync-cfgtool -n: reachable nodes with on-wire versions and each link's state and MTU",
  schema: CfgtoolNodes,
  parse: parseCfgtoolNodes,
};
