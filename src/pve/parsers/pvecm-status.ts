/**
 * `pvecm status` and plain `corosync-quorumtool -s`. pvecm prints its own "Cluster information" block (PVE ≥ 6,
 * read from /etc/pve/corosync.conf, not the running config) and then execs `corosync-quorumtool -siH`.
 * Accepted variants: decimal or hex node ids, `2/196` (decimal, corosync ≤ 3.0.2) or `1.1a8` (hex) ring ids,
 * trailing spaces present or stripped, `-` or `~` underlines, with or without the Qdevice column.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";
import {
  type NumberedLine,
  numberLines,
  parseMembership,
  parseNodeId,
  QdeviceRow,
  QuorumMember,
} from "./pvecm-nodes.js";
import { isStderrLine } from "./stderr-lines.js";

export const RingId = z.object({
  raw: z.string(),
  /** Node id of the ring representative. */
  rep: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
});
export type RingId = z.infer<typeof RingId>;

export const PvecmStatus = z.object({
  /** pvecm's own block; null for plain corosync-quorumtool and PVE < 6. */
  cluster: z
    .object({
      name: z.string(),
      /** `-1` when the file has no config_version. */
      configVersion: z.number().int(),
      transport: z.string(),
      /** `on` / `off` as printed; pvecm shows `off` when the key is absent. */
      secureAuth: z.string(),
    })
    .nullable(),
  quorum: z.object({
    date: z.string(),
    provider: z.string(),
    /** Members of the current view, not configured nodes. */
    nodes: z.number().int().nonnegative(),
    nodeId: z.number().int().nonnegative(),
    ringId: RingId,
    quorate: z.boolean(),
  }),
  votequorum: z.object({
    expectedVotes: z.number().int(),
    highestExpected: z.number().int(),
    totalVotes: z.number().int(),
    quorum: z.number().int(),
    activityBlocked: z.boolean(),
    /** `2Node`, `Quorate`, `WaitForAll`, `LastManStanding`, `AutoTieBreaker`, `AllowDownscale`, `Qdevice`. */
    flags: z.array(z.string()),
  }),
  members: z.array(QuorumMember),
  qdevice: QdeviceRow.nullable(),
});
export type PvecmStatus = z.infer<typeof PvecmStatus>;

const FORMAT = "pvecm-status";
const TITLES = {
  "Cluster information": "cluster",
  "Quorum information": "quorum",
  "Votequorum information": "votequorum",
  "Membership information": "membership",
} as const;
type Title = keyof typeof TITLES;
type SectionKey = (typeof TITLES)[Title];
type Section = { title: Title; heading: number; lines: NumberedLine[] };

const UNDERLINE = /^\s*[-~]{3,}\s*$/;
const FIELD = /^([A-Za-z][A-Za-z ]*?):(.*)$/;

function splitSections(text: string, skip: ReadonlySet<number> = new Set()): Map<SectionKey, Section> {
  const lines = numberLines(text).filter((line) => !skip.has(line.no));
  const sections = new Map<SectionKey, Section>();
  let current: Section | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const title = line.text.trim();
    if (title !== "" && UNDERLINE.test(lines[i + 1]?.text ?? "")) {
      if (!Object.hasOwn(TITLES, title)) throw new ParseError(FORMAT, `unknown section '${title}'`, line.no);
      const key = TITLES[title as Title];
      if (sections.has(key)) throw new ParseError(FORMAT, `section '${title}' appears twice`, line.no);
      current = { title: title as Title, heading: line.no, lines: [] };
      sections.set(key, current);
      i++;
      continue;
    }
    if (current) current.lines.push(line);
    else if (title !== "")
      throw new ParseError(FORMAT, `unexpected text before the first section: '${title}'`, line.no);
  }
  return sections;
}

type Fields = { get(label: string): { value: string; no: number } };

function readCluster(section: Section | undefined): PvecmStatus["cluster"] {
  if (!section) return null;
  const f = readFields(section);
  return {
    name: f.get("Name").value.trim(),
    configVersion: int(f.get("Config Version"), "Config Version", true),
    transport: f.get("Transport").value.trim(),
    secureAuth: f.get("Secure auth").value.trim(),
  };
}

function readFields(section: Section): Fields {
  const map = new Map<string, { value: string; no: number }>();
  for (const { no, text } of section.lines) {
    if (text.trim() === "") continue;
    const m = FIELD.exec(text);
    if (!m) throw new ParseError(FORMAT, `expected 'Label: value' in '${section.title}', got '${text}'`, no);
    const label = m[1]!.trim();
    if (map.has(label)) throw new ParseError(FORMAT, `'${label}:' appears twice`, no);
    // Values keep trailing spaces: `Quorum:           2  ` and `Activity blocked` are told apart by them.
    map.set(label, { value: m[2]!.replace(/^\s+/, ""), no });
  }
  return {
    get(label) {
      const field = map.get(label);
      if (!field) throw new ParseError(FORMAT, `'${section.title}' has no '${label}:' line`, section.heading);
      return field;
    },
  };
}

function int(field: { value: string; no: number }, label: string, signed = false): number {
  const value = field.value.trim();
  if (!(signed ? /^-?\d+$/ : /^\d+$/).test(value)) {
    throw new ParseError(FORMAT, `'${label}:' should be a number, got '${value}'`, field.no);
  }
  return Number.parseInt(value, 10);
}

/** `2/196` (corosync 2.x–3.0.2, decimal) or `1.1a8` (corosync ≥ 3.0.3, `%x.%llx`). */
export function parseRingId(raw: string, line?: number): RingId {
  const decimal = /^(\d+)\/(\d+)$/.exec(raw);
  if (decimal) return { raw, rep: Number(decimal[1]), seq: Number(decimal[2]) };
  const hex = /^([0-9a-f]+)\.([0-9a-f]+)$/i.exec(raw);
  if (hex) return { raw, rep: Number.parseInt(hex[1]!, 16), seq: Number.parseInt(hex[2]!, 16) };
  // A bare sequence number means corosync runs without votequorum, which no PVE cluster does.
  throw new ParseError(FORMAT, `unrecognised ring id '${raw}' (expected rep/seq or rep.seq)`, line);
}

function need(sections: Map<SectionKey, Section>, key: SectionKey, why: string): Section {
  const section = sections.get(key);
  if (!section) throw new ParseError(FORMAT, why);
  return section;
}

export function parsePvecmStatus(stdout: string): PvecmStatus {
  return fromSections(splitSections(stdout));
}

function fromSections(sections: Map<SectionKey, Section>): PvecmStatus {
  const cluster = readCluster(sections.get("cluster"));
  const q = readFields(
    need(
      sections,
      "quorum",
      "no 'Quorum information' section (is corosync running? its error goes to stderr)",
    ),
  );
  const ring = q.get("Ring ID");
  const quorate = q.get("Quorate");
  if (!/^(Yes|No)\s*$/.test(quorate.value)) {
    throw new ParseError(FORMAT, `'Quorate:' should be Yes or No, got '${quorate.value}'`, quorate.no);
  }
  const nodeId = q.get("Node ID");
  const v = readFields(
    need(sections, "votequorum", "no 'Votequorum information' section (votequorum not in use)"),
  );
  const quorumField = v.get("Quorum");
  const quorumValue = /^(\d+)(?:\s+(Activity blocked))?\s*$/.exec(quorumField.value);
  if (!quorumValue) {
    throw new ParseError(FORMAT, `cannot read 'Quorum:' value '${quorumField.value}'`, quorumField.no);
  }
  const membership = parseMembership(
    need(sections, "membership", "no 'Membership information' section (truncated output?)").lines,
    FORMAT,
  );
  return validated(FORMAT, PvecmStatus, {
    cluster,
    quorum: {
      date: q.get("Date").value.trim(),
      provider: q.get("Quorum provider").value.trim(),
      nodes: int(q.get("Nodes"), "Nodes"),
      nodeId: parseNodeId(nodeId.value.trim(), FORMAT, nodeId.no),
      ringId: parseRingId(ring.value.trim(), ring.no),
      quorate: quorate.value.trim() === "Yes",
    },
    votequorum: {
      expectedVotes: int(v.get("Expected votes"), "Expected votes"),
      highestExpected: int(v.get("Highest expected"), "Highest expected"),
      totalVotes: int(v.get("Total votes"), "Total votes"),
      quorum: Number.parseInt(quorumValue[1]!, 10),
      activityBlocked: quorumValue[2] !== undefined,
      flags: v.get("Flags").value.split(/\s+/).filter(Boolean),
    },
    members: membership.members,
    qdevice: membership.qdevice,
  });
}

const CANNOT_INIT = /Cannot initiali[sz]e (?:CMAP|QUORUM|CFG|VOTEQUORUM) service/;

/** True when stderr says corosync is not running (the tools cannot reach its IPC services). */
export function corosyncDown(stderr: string): boolean {
  return CANNOT_INIT.test(stderr);
}

/**
 * A `pvecm status` paste read as an answer, stderr included: when corosync is down pvecm has
 * printed its Cluster information block and then the tool failed — that is a state (quorum
 * unknown, with the error), not unreadable input.
 */
export const PvecmStatusReading = PvecmStatus.extend({
  quorum: PvecmStatus.shape.quorum.nullable(),
  votequorum: PvecmStatus.shape.votequorum.nullable(),
  /** `corosync-down` when the quorum tool could not reach corosync. */
  state: z.enum(["running", "corosync-down"]),
  quorumState: z.enum(["quorate", "not-quorate", "unknown"]),
  /** The tool's error line (`Cannot initialize CMAP service`) when state is corosync-down. */
  error: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type PvecmStatusReading = z.infer<typeof PvecmStatusReading>;

export function readPvecmStatus(text: string): PvecmStatusReading {
  const stderr = numberLines(text).filter((line) => isStderrLine(line.text));
  const warnings = stderr.map((line) => line.text.trim());
  const sections = splitSections(text, new Set(stderr.map((line) => line.no)));
  const failure = warnings.find((w) => CANNOT_INIT.test(w) || /^Could not initiali[sz]e/.test(w));
  if (!sections.has("quorum") && failure !== undefined) {
    if (sections.size > 1 || (sections.size === 1 && !sections.has("cluster"))) {
      throw new ParseError(FORMAT, `'${failure}' but quorum sections follow it`);
    }
    return {
      cluster: readCluster(sections.get("cluster")),
      quorum: null,
      votequorum: null,
      members: [],
      qdevice: null,
      state: "corosync-down",
      quorumState: "unknown",
      error: failure,
      warnings,
    };
  }
  if (!sections.has("quorum") && sections.size === 1 && sections.has("cluster")) {
    // stdout alone: pvecm printed its own block, then corosync-quorumtool failed on stderr.
    return {
      cluster: readCluster(sections.get("cluster")),
      quorum: null,
      votequorum: null,
      members: [],
      qdevice: null,
      state: "corosync-down",
      quorumState: "unknown",
      error: "nothing after 'Cluster information': the quorum tool failed (its error is on stderr)",
      warnings,
    };
  }
  if (sections.size === 0) {
    throw new ParseError(FORMAT, "no 'Quorum information' or 'Cluster information' section found");
  }
  const status = fromSections(sections);
  return {
    ...status,
    state: "running",
    quorumState: status.quorum.quorate ? "quorate" : "not-quorate",
    error: null,
    warnings,
  };
}

export const pvecmStatusFormat: ParserFormat<PvecmStatusReading> = {
  name: "pvecm-status",
  description:
    "`pvecm status` (2>&1 accepted): cluster, quorum, votequorum, members; corosync down is a state",
  schema: PvecmStatusReading,
  parse: readPvecmStatus,
};

export const corosyncQuorumtoolFormat: ParserFormat<PvecmStatusReading> = {
  name: "corosync-quorumtool",
  description: "`corosync-quorumtool -s`: same layout as pvecm status without its cluster block",
  schema: PvecmStatusReading,
  parse: readPvecmStatus,
};
