/**
 * Journal/syslog lines of pvestatd and of cluster-wide cfs locks (any PVE daemon or CLI), with or
 * without the `host pvestatd[PID]:` prefix (stderr pastes carry none). Sources: proxmox-facts §8.2
 * (pve-storage / pve-manager PVE/Service/pvestatd.pm) and §5.5 (pve-cluster PVE/Cluster.pm, the
 * three historical cfs-lock error texts). Lines of other programs are skipped; input in which no
 * line is recognised is refused.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines, validated } from "./parser-support.js";

const base = {
  line: z.number().int().positive(),
  /** Text before the message: timestamp, host and `process[pid]:`, trimmed; may be empty. */
  prefix: z.string(),
  process: z.string().nullable(),
  pid: z.number().int().nullable(),
  message: z.string(),
};
export const PveJournalEvent = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("storage-not-online"), storage: z.string(), ...base }),
  z.object({ kind: z.literal("storage-unreachable"), storage: z.string(), path: z.string(), ...base }),
  /** `status update time (N seconds)`: a pvestatd cycle over 5 s, usually a hung storage. */
  z.object({ kind: z.literal("status-update-slow"), seconds: z.number(), ...base }),
  /** A storage call that ran into pve-common's `run_with_timeout`/`df` timeouts. */
  z.object({ kind: z.literal("storage-timeout"), storage: z.string().nullable(), ...base }),
  z.object({ kind: z.literal("cfs-lock-error"), lock: z.string(), reason: z.string(), ...base }),
  z.object({ kind: z.literal("cfs-lock-waiting"), lock: z.string(), ...base }),
  z.object({ kind: z.literal("cfs-lock-timeout"), lock: z.string(), ...base }),
]);
export type PveJournalEvent = z.infer<typeof PveJournalEvent>;
export const PveJournal = z.array(PveJournalEvent);

type Detail = {
  [K in PveJournalEvent["kind"]]: Omit<Extract<PveJournalEvent, { kind: K }>, keyof typeof base>;
}[PveJournalEvent["kind"]];
const RULES: Array<[RegExp, (m: RegExpExecArray) => Detail]> = [
  [/^storage '([^']+)' is not online/, (m) => ({ kind: "storage-not-online", storage: m[1] as string })],
  [
    /^unable to activate storage '([^']+)' - directory '([^']+)' does not exist or is unreachable/,
    (m) => ({ kind: "storage-unreachable", storage: m[1] as string, path: m[2] as string }),
  ],
  [
    /^status update time \((\d+(?:\.\d+)?) seconds\)/,
    (m) => ({ kind: "status-update-slow", seconds: Number(m[1]) }),
  ],
  [
    /\bgot timeout\b/,
    (m) => ({ kind: "storage-timeout", storage: /storage '([^']+)'/.exec(m.input)?.[1] ?? null }),
  ],
  // PVE 7+, PVE 6.2–6.4, PVE 5.2–6.1 (pve-cluster commits 6e13e20, 41f32a1, e085fe6).
  [
    /cfs-lock '([^']+)' error: (.*)$/,
    (m) => ({ kind: "cfs-lock-error", lock: m[1] as string, reason: m[2] as string }),
  ],
  [
    /error during cfs-locked '([^']+)' operation: (.*)$/,
    (m) => ({ kind: "cfs-lock-error", lock: m[1] as string, reason: m[2] as string }),
  ],
  [
    /error with cfs lock '([^']+)': (.*)$/,
    (m) => ({ kind: "cfs-lock-error", lock: m[1] as string, reason: m[2] as string }),
  ],
  [/trying to acquire cfs lock '([^']+)'/, (m) => ({ kind: "cfs-lock-waiting", lock: m[1] as string })],
  [
    /'([^']+)'-locked command timed out - aborting/,
    (m) => ({ kind: "cfs-lock-timeout", lock: m[1] as string }),
  ],
];
const PROCESS = /^(.*?)\b([\w.-]+)\[(\d+)\]:\s*(.*)$/;

export function parsePveJournal(text: string): PveJournalEvent[] {
  const events: PveJournalEvent[] = [];
  let nonEmpty = 0;
  splitLines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    nonEmpty++;
    const p = PROCESS.exec(line);
    const message = p ? (p[4] as string) : line;
    for (const [pattern, build] of RULES) {
      const m = pattern.exec(message);
      if (!m) continue;
      events.push({
        ...build(m),
        line: i + 1,
        prefix: p ? `${p[1]}${p[2]}[${p[3]}]:`.trim() : "",
        process: p ? (p[2] as string) : null,
        pid: p ? Number(p[3]) : null,
        message,
      } as PveJournalEvent);
      break;
    }
  });
  if (nonEmpty > 0 && events.length === 0) {
    throw new ParseError(
      "pve-journal",
      `none of ${nonEmpty} lines is a pvestatd storage or cfs-lock message`,
    );
  }
  return validated("pve-journal", PveJournal, events);
}

export const pveJournalFormat: ParserFormat<PveJournalEvent[]> = {
  name: "pve-journal",
  description:
    "journal of pvestatd (storage not online/unreachable/timeouts) and cfs-lock errors (3 text versions)",
  schema: PveJournal,
  parse: parsePveJournal,
};
