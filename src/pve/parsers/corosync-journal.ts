/**
 * corosync's own log as a list of timed events: `journalctl -u corosync -o short-iso` lines
 * (`2026-03-11T14:02:07+0000 pve1 corosync[1187]:   [KNET  ] link: host: 3 link: 1 is down`; systemd
 * ≥ 255 prints `+00:00`) or corosync's log file when `logging { to_logfile: yes }` (exec/logsys.c
 * format `%t [%P] %H %N %p [%6g] %b`: `Dec 05 03:18:40 [67] node1 corosync info    [KNET  ] …`),
 * classified by the corosync-log parser (proxmox-facts §11). Pure.
 */
import { type LogEvent, parseCorosyncLog } from "./corosync-log.js";

export type TimedEvent = LogEvent & {
  /** Epoch ms; null when the line carries no time we can read. Log-file lines have no year: `year` is used. */
  at: number | null;
};

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2}:?\d{2}|Z)?\s/;
const LOGFILE = /^(\w{3} +\d{1,2} \d{2}:\d{2}:\d{2}) \[(\d+)\] (\S+) corosync \w+\s+(\[.*)$/;

function isoTime(prefix: string): number | null {
  const m = ISO.exec(`${prefix} `);
  if (!m) return null;
  const zone = (m[2] ?? "Z").replace(/^([+-]\d{2})(\d{2})$/, "$1:$2");
  const t = Date.parse(`${m[1]}${zone}`);
  return Number.isNaN(t) ? null : t;
}

function logfileTime(stamp: string, year: number): number | null {
  const t = Date.parse(`${stamp.replace(/ +/g, " ")} ${year} UTC`);
  return Number.isNaN(t) ? null : t;
}

/** Journal or log-file text → events with their times, in input order. */
export function corosyncJournalEvents(text: string, year: number): TimedEvent[] {
  const times: Array<number | null> = [];
  const lines = text.split(/\r?\n/).map((line) => {
    const f = LOGFILE.exec(line);
    if (!f) {
      times.push(isoTime(line.split(/\s+/)[0] ?? ""));
      return line;
    }
    times.push(logfileTime(f[1]!, year));
    return `${f[1]} ${f[3]} corosync[${f[2]}]: ${f[4]}`;
  });
  return parseCorosyncLog(lines.join("\n")).map((e) => ({ ...e, at: times[e.line - 1] ?? null }));
}

/** `No journal files were found.` / `-- No entries --`: journald has nothing for corosync here. */
export function journalEmpty(text: string): boolean {
  return text
    .split("\n")
    .every((l) => l.trim() === "" || /^(-- No entries --|No journal files were found\.)$/.test(l.trim()));
}
