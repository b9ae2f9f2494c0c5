/** Time as the simulated nodes print it: the lab clock (epoch seconds, UTC) and USER_HZ process ticks. */
import type { LabNode, LabState } from "../state.js";

export const USER_HZ = 100;
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number, width = 2, fill = "0") => String(n).padStart(width, fill);

/** C `ctime()` without the newline: `Fri Apr  3 04:05:16 2026` (day of month space-padded). */
export function ctime(epoch: number): string {
  const d = new Date(epoch * 1000);
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate(), 2, " ")} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`
  );
}

/** `date +FORMAT` for the handful of conversions scripts use. */
export function strftime(epoch: number, format: string): string {
  const d = new Date(epoch * 1000);
  const codes: Record<string, string> = {
    s: String(epoch),
    Y: String(d.getUTCFullYear()),
    m: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    H: pad(d.getUTCHours()),
    M: pad(d.getUTCMinutes()),
    S: pad(d.getUTCSeconds()),
    a: DAYS[d.getUTCDay()] ?? "",
    b: MONTHS[d.getUTCMonth()] ?? "",
    Z: "UTC",
    "%": "%",
  };
  codes.F = `${codes.Y}-${codes.m}-${codes.d}`;
  codes.T = `${codes.H}:${codes.M}:${codes.S}`;
  return format.replace(/%([a-zA-Z%])/g, (whole, c: string) => codes[c] ?? whole);
}

/** Clock ticks since boot right now: the `starttime` a process started now gets. */
export function ticksNow(state: LabState, node: LabNode): number {
  return (state.clock - node.bootTime) * USER_HZ;
}
