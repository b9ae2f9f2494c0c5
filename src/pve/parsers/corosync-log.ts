/**
 * Classifies journal/syslog lines from corosync (knet, totem, quorum), pmxcfs and the HA daemons into
 * events. Lines it does not know are skipped, so any `journalctl` or `/var/log/syslog` excerpt can be fed
 * in whole; the spacing between `corosync[PID]:` and `[SUBSYS]` varies by source and is matched loosely.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";

const base = {
  /** 1-based line number in the input. */
  line: z.number().int().positive(),
  /** Whatever precedes the process name (journal timestamp and host), trimmed; may be empty. */
  prefix: z.string(),
  process: z.enum(["corosync", "pmxcfs", "pve-ha-lrm", "pve-ha-crm", "watchdog-mux"]),
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
  /** knet passive mode picked a link: `host: host: 2 (passive) best link: 1 (pri: 1)`. */
  event("best-link", {
    host: z.number().int(),
    mode: z.string(),
    link: z.number().int(),
    priority: z.number().int(),
  }),
  /** `pmtud: PMTUD link change for host: 2 link: 0 from 469 to 1397`. */
  event("mtu-change", {
    host: z.number().int(),
    link: z.number().int(),
    from: z.number().int(),
    to: z.number().int(),
  }),
  event("global-mtu", { mtu: z.number().int() }),
  /** `Failed to receive the leave message. failed: 3`: nodes that left without saying so. */
  event("leave-failed", { nodes: ids }),
  /** `[QUORUM] Members[2]: 1 2`: the quorum view. */
  event("quorum-members", { members: ids }),
  /** `Sync members[2]: 1 2` / `Sync joined[1]: 3` / `Sync left[1]: 3`. */
  event("sync", { what: z.enum(["members", "joined", "left"]), nodes: ids }),
  /** pmxcfs `[dcdb|status] notice: members: 1/1050, 2/1123` (node id / pmxcfs pid). */
  event("pmxcfs-members", {
    members: z.array(z.object({ nodeId: z.number().int(), pid: z.number().int() })),
  }),
  /** pmxcfs resync steps: `starting data syncronisation` (sic), `received sync request`, `all data is up to date`… */
  event("pmxcfs-resync", { step: z.string() }),
  /** CRM: `service 'vm:100': state changed from 'started' to 'fence'` (`  (node = pve1)` optional). */
  event("ha-service-state", {
    sid: z.string(),
    from: z.string(),
    to: z.string(),
    node: z.string().nullable(),
  }),
  /** CRM: `node 'pve3': state changed from 'online' => 'unknown'`. */
  event("ha-node-state", { node: z.string(), from: z.string(), to: z.string() }),
  /** watchdog-mux: a client's watchdog expired or was not stopped — the node resets shortly after. */
  event("watchdog-expired", { clientPid: z.number().int().nullable() }),
  /** `Corosync Cluster Engine 3.1.7 starting up` (2.x: `('2.4.4'): started and ready to provide service.`). */
  event("corosync-start", { version: z.string() }),
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
    /host: host: (\d+) \((\w+)\) best link: (\d+) \(pri: (\d+)\)/,
    (m) => ({
      kind: "best-link",
      host: Number(m[1]),
      mode: m[2]!,
      link: Number(m[3]),
      priority: Number(m[4]),
    }),
  ],
  [
    /PMTUD link change for host: (\d+) link: (\d+) from (\d+) to (\d+)/,
    (m) => ({
      kind: "mtu-change",
      host: Number(m[1]),
      link: Number(m[2]),
      from: Number(m[3]),
      to: Number(m[4]),
    }),
  ],
  [/Global data MTU changed to: (\d+)/, (m) => ({ kind: "global-mtu", mtu: Number(m[1]) })],
  [
    /^Failed to receive the leave message\. failed:((?:\s+\d+)+)/,
    (m) => ({ kind: "leave-failed", nodes: numbers(m[1]) }),
  ],
  [/^Members\[\d+\]:((?:\s+\d+)*)/, (m) => ({ kind: "quorum-members", members: numbers(m[1]) })],
  [
    /^Sync (members|joined|left)\[\d+\]:((?:\s+\d+)*)/,
    (m) => ({ kind: "sync", what: m[1] as "members" | "joined" | "left", nodes: numbers(m[2]) }),
  ],
  [
    /^Corosync Cluster Engine (?:\('([^']+)'\)|(\S+))[: ]/,
    (m) => ({ kind: "corosync-start", version: (m[1] ?? m[2])! }),
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

const PMXCFS_MORE: Rule[] = [
  [
    /^members: (\d+\/\d+(?:, \d+\/\d+)*)\s*$/,
    (m) => ({
      kind: "pmxcfs-members",
      members: m[1]!.split(", ").map((p) => {
        const [nodeId, pid] = p.split("/");
        return { nodeId: Number(nodeId), pid: Number(pid) };
      }),
    }),
  ],
  [
    /^(starting data syncronisation|starting data synchronisation|received sync request.*|received all states|all data is up to date|leader is \d+\/\d+|synced members: .*|update complete - trying to commit.*)\s*$/,
    (m) => ({ kind: "pmxcfs-resync", step: m[1]! }),
  ],
];
PMXCFS_RULES.push(...PMXCFS_MORE);

const WATCHDOG_RULES: Rule[] = [
  [
    /^client (?:\(PID (\d+)\) )?(?:watchdog expired|did not stop watchdog) - disable watchdog updates/,
    (m) => ({ kind: "watchdog-expired", clientPid: m[1] ? Number(m[1]) : null }),
  ],
];

const HA_RULES: Rule[] = [
  [
    /^service '([^']+)': state changed from '([^']+)' to '([^']+)'(?:\s+\(node = ([^)]+)\))?/,
    (m) => ({ kind: "ha-service-state", sid: m[1]!, from: m[2]!, to: m[3]!, node: m[4] ?? null }),
  ],
  [
    /^node '([^']+)': state changed from '([^']+)' => '([^']+)'/,
    (m) => ({ kind: "ha-node-state", node: m[1]!, from: m[2]!, to: m[3]! }),
  ],
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
  {
    re: /watchdog-mux\[(\d+)\]:\s+(.*)/,
    pid: 1,
    message: 2,
    rules: WATCHDOG_RULES,
    process: () => "watchdog-mux",
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
      const message = m[source.message]!.trimEnd();
      const rule = source.rules.find(([re]) => re.test(message));
      if (rule) {
        const detail = rule[1](rule[0].exec(message)!);
        const prefix = raw.slice(0, m.index).trim();
        events.push(
          validated("corosync-log", LogEvent, {
            ...detail,
            line: i + 1,
            prefix,
            process: source.process(m),
            pid,
            message,
          }),
        );
      }
      break;
    }
  }
  return events;
}

/** The format refuses input in which it recognises nothing, instead of answering `[]` for anything. */
export function readCorosyncLog(text: string): LogEvents {
  const events = parseCorosyncLog(text);
  if (events.length === 0 && text.trim() !== "") {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "").length;
    throw new ParseError(
      "corosync-log",
      `no corosync, pmxcfs, HA or watchdog-mux event recognised in ${lines} line${lines === 1 ? "" : "s"}`,
    );
  }
  return events;
}

export const corosyncLogFormat: ParserFormat<LogEvents> = {
  name: "corosync-log",
  description:
    "journal/syslog excerpt: corosync link, MTU, token, membership, quorum; pmxcfs, HA, watchdog-mux lines",
  schema: LogEvents,
  parse: readCorosyncLog,
};
