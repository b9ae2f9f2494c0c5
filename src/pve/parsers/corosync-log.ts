/**
 * Classifies journal/syslog lines from corosync (knet, totem, quorum), pmxcfs and the HA daemons into
 * events. Lines it does not know are skipped, so any `journalctl` or `/var/log/syslog` excerpt can be fed
 * in whole; the spacing between `corosync[PID]:` and `[SUBSYS]` varies by source and is matched loosely.
 */
import { z } from "zod";
import type { ParserFormat } from "./format.js";

const base = {
  /** 1-based line number in the input. */
  line: z.number().int().positive(),
  /** Whatever precedes the process name (journal timestamp and host), trimmed; may be empty. */
  prefix: z.string(),
  process: z.enum(["corosync", "pmxcfs", "pve-ha-lrm", "pve-ha-crm"]),
  pid: z.number().int(),
  /** The message after `[SUBSYS]` / `[domain] level:` / `process[pid]:`. */
  message: z.string(),
};
const ids = z.array(z.number().int());
const event = <K extends string, S extends z.ZodRawShape>(kind: K, shape: S) =>
  z.object({ kind: z.literal(kind), ...base, ...shape });

export const LogEvent = z.discriminatedUnion("kind", [
  event("link-down", { host: z.number().int(), link: z.number().int() }),
  event("link-up", { host: z.number().int(), link: z.number().int() }),
  event("no-active-links", { host: z.number().int() }),
  /** `Token has not been received in N ms` (at 75 % of the token timeout, repeats). */
  event("token-warning", { ms: z.number().int() }),
  /** Token lost; timings only on corosync ≥ 3.1.0. */
  event("token-lost", { timeoutMs: z.number().int().nullable(), consensusMs: z.number().int().nullable() }),
  /** ringId as printed: `1.2d` (≥ 3.0.3), `1:44` (3.0.0–3.0.2), `10.10.10.1:44` (2.x). */
  event("membership", { ringId: z.string(), joined: ids, left: ids }),
  event("quorum-lost", {}),
  event("quorum-regained", {}),
  /** corosync exits after this: the node's corosync.conf is older or newer than the cluster's. */
  event("config-version-mismatch", { received: z.number().int(), local: z.number().int() }),
  /** The local node is not in the nodelist — usually hostname/ring0_addr mismatch. */
  event("bad-hostname", { reason: z.string() }),
  event("quorum-init-failed", { provider: z.string() }),
  event("retransmit", { list: z.array(z.string()) }),
  event("pmxcfs-quorum-lost", {}),
  event("pmxcfs-quorum-regained", {}),
  event("pmxcfs-write-while-not-quorate", {}),
  /** `cpg_send_message failed: 9` (PVE ≤ 8) or `cpg_initialize failed: CS_ERR_LIBRARY (...)` (PVE 9). */
  event("pmxcfs-corosync-error", { call: z.string(), error: z.string() }),
  event("ha-lost-lock", { lock: z.string(), reason: z.string().nullable() }),
  event("ha-status-change", { from: z.string(), to: z.string() }),
]);
export type LogEvent = z.infer<typeof LogEvent>;
export const LogEvents = z.array(LogEvent);
export type LogEvents = z.infer<typeof LogEvents>;

type BaseKey = keyof typeof base;
type Detail = LogEvent extends infer E ? (E extends LogEvent ? Omit<E, BaseKey> : never) : never;
type Rule = [RegExp, (m: RegExpExecArray) => Detail];

const numbers = (s: string | undefined): number[] =>
  (s ?? "").trim().split(/\s+/).filter(Boolean).map(Number);

const COROSYNC_RULES: Rule[] = [
  [/host: (\d+) link: (\d+) is down/, (m) => ({ kind: "link-down", host: Number(m[1]), link: Number(m[2]) })],
  // knet 1.x logs the up transition from the rx thread, knet 2.x from the heartbeat thread.
  [/host: (\d+) link: (\d+) is up/, (m) => ({ kind: "link-up", host: Number(m[1]), link: Number(m[2]) })],
  [/host: host: (\d+) has no active links/, (m) => ({ kind: "no-active-links", host: Number(m[1]) })],
  [/^Token has not been received in (\d+) ms/, (m) => ({ kind: "token-warning", ms: Number(m[1]) })],
  [
    /^A processor failed, forming new configuration(?:: token timed out \((\d+)ms\), waiting (\d+)ms for consensus)?\./,
    (m) => ({
      kind: "token-lost",
      timeoutMs: m[1] ? Number(m[1]) : null,
      consensusMs: m[2] ? Number(m[2]) : null,
    }),
  ],
  [
    /^A new membership \(([^)]+)\) was formed\. Members(.*)$/,
    (m) => ({
      kind: "membership",
      ringId: m[1]!,
      joined: numbers(/joined:((?:\s+\d+)+)/.exec(m[2]!)?.[1]),
      left: numbers(/left:((?:\s+\d+)+)/.exec(m[2]!)?.[1]),
    }),
  ],
  [
    /^This node is within the non-primary component and will NOT provide any services\./,
    () => ({ kind: "quorum-lost" }),
  ],
  [
    /^This node is within the primary component and will provide service\./,
    () => ({ kind: "quorum-regained" }),
  ],
  [
    /^Received config version \((\d+)\) is different than my config version \((\d+)\)! Exiting/,
    (m) => ({ kind: "config-version-mismatch", received: Number(m[1]), local: Number(m[2]) }),
  ],
  [
    /^Service engine '[^']*' failed to load for reason '(configuration error: nodelist or quorum\.expected_votes must be configured!)'/,
    (m) => ({ kind: "bad-hostname", reason: m[1]! }),
  ],
  [
    /^Quorum provider: (\S+) failed to initialize\./,
    (m) => ({ kind: "quorum-init-failed", provider: m[1]! }),
  ],
  [
    /^Retransmit List:(.*)$/,
    (m) => ({ kind: "retransmit", list: m[1]!.trim().split(/\s+/).filter(Boolean) }),
  ],
];

const PMXCFS_RULES: Rule[] = [
  [/^node lost quorum$/, () => ({ kind: "pmxcfs-quorum-lost" })],
  [/^node has quorum$/, () => ({ kind: "pmxcfs-quorum-regained" })],
  [/^received write while not quorate/, () => ({ kind: "pmxcfs-write-while-not-quorate" })],
  [
    /^((?:cpg|quorum|cmap|votequorum)_\w+) failed: (.+?)\s*$/,
    (m) => ({ kind: "pmxcfs-corosync-error", call: m[1]!, error: m[2]! }),
  ],
];

const HA_RULES: Rule[] = [
  // The source prints `lost lock 'NAME - reason` (the closing quote is missing); accept a fixed one too.
  [
    /^lost lock '([^'\s]+)'?(?: - (.*?))?'?\s*$/,
    (m) => ({ kind: "ha-lost-lock", lock: m[1]!, reason: m[2] ?? null }),
  ],
  [/^status change (\S+) => (\S+)/, (m) => ({ kind: "ha-status-change", from: m[1]!, to: m[2]! })],
];

type Source = {
  re: RegExp;
  pid: number;
  message: number;
  rules: Rule[];
  process: (m: RegExpExecArray) => LogEvent["process"];
};

const SOURCES: Source[] = [
  {
    re: /corosync\[(\d+)\]:\s+\[([A-Z]+)\s*\]\s(.*)/,
    pid: 1,
    message: 3,
    rules: COROSYNC_RULES,
    process: () => "corosync",
  },
  {
    re: /pmxcfs\[(\d+)\]:\s+\[\w+\]\s+\w+:\s(.*)/,
    pid: 1,
    message: 2,
    rules: PMXCFS_RULES,
    process: () => "pmxcfs",
  },
  {
    re: /(pve-ha-lrm|pve-ha-crm)\[(\d+)\]:\s+(.*)/,
    pid: 2,
    message: 3,
    rules: HA_RULES,
    process: (m) => m[1] as "pve-ha-lrm" | "pve-ha-crm",
  },
];

/** Every recognised event, in input order. Never throws: unknown lines are not events. */
export function parseCorosyncLog(text: string): LogEvents {
  const events: LogEvent[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    for (const source of SOURCES) {
      const m = source.re.exec(raw);
      if (!m) continue;
      const pid = Number(m[source.pid]);
      const message = m[source.message]!.replace(/\s+$/, "");
      const rule = source.rules.find(([re]) => re.test(message));
      if (rule) {
        const detail = rule[1](rule[0].exec(message)!);
        const prefix = raw.slice(0, m.index).trim();
        events.push(
          LogEvent.parse({ ...detail, line: i + 1, prefix, process: source.process(m), pid, message }),
        );
      }
      break;
    }
  }
  return events;
}

export const corosyncLogFormat: ParserFormat<LogEvents> = {
  name: "corosync-log",
  description:
    "journal/syslog excerpt: corosync link, token, membership and quorum events, pmxcfs and HA lines",
  schema: LogEvents,
  parse: parseCorosyncLog,
};
