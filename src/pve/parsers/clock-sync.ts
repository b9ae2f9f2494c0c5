/**
 * Clock synchronisation: `chronyc tracking` (chrony doc/chronyc.adoc, `Key<padding>: value` lines:
 * `Leap status     : Normal|Insert second|Delete second|Not synchronised`, `System time     :
 * 0.000006523 seconds slow of NTP time`) or, without chrony, `timedatectl show` (systemd
 * src/timedate/timedatectl.c, `NTPSynchronized=yes|no`).
 */
import { z } from "zod";
import { ParseError } from "./format.js";

export const ClockSync = z.object({
  source: z.enum(["chrony", "timedatectl"]),
  synchronised: z.boolean(),
  /** chrony: how far the system clock is from NTP time, in seconds (positive = fast). */
  offsetSeconds: z.number().nullable(),
  /** `Leap status` (chrony) or `NTPSynchronized=…` as printed. */
  status: z.string(),
});
export type ClockSync = z.infer<typeof ClockSync>;

export function parseChronycTracking(text: string): ClockSync {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z][A-Za-z ()]*?)\s*:\s*(.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, m[2]!.trim());
  }
  const leap = fields.get("Leap status");
  if (leap === undefined) throw new ParseError("chronyc-tracking", "no 'Leap status' line");
  const time = /^([\d.]+) seconds (fast|slow) of NTP time/.exec(fields.get("System time") ?? "");
  const offset = time ? Number(time[1]) * (time[2] === "slow" ? -1 : 1) : null;
  return { source: "chrony", synchronised: leap !== "Not synchronised", offsetSeconds: offset, status: leap };
}

export function parseTimedatectlShow(text: string): ClockSync {
  const m = /^NTPSynchronized=(yes|no)$/m.exec(text);
  if (!m) throw new ParseError("timedatectl", "no 'NTPSynchronized=' line");
  return { source: "timedatectl", synchronised: m[1] === "yes", offsetSeconds: null, status: m[0] };
}
