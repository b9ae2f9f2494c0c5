/**
 * iputils `ping -n -q` (iputils 20221126, ping/ping_common.c `finish()` and ping/ping.c): the
 * summary line `N packets transmitted, M received[, +K duplicates][, +E errors], P% packet loss,
 * time Tms`, the `rtt min/avg/max/mdev = a/b/c/d ms` line when something came back, and on stderr
 * `ping: local error: message too long, mtu=1400` when the local interface cannot send the DF
 * packet, or `From 10.0.0.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)` from a router.
 */
import { z } from "zod";
import { ParseError } from "./format.js";

export const PingResult = z.object({
  transmitted: z.number().int(),
  received: z.number().int(),
  errors: z.number().int(),
  lossPercent: z.number(),
  rttAvgMs: z.number().nullable(),
  /** An MTU some hop (or the sender itself) reported as too small for the DF packet. */
  reportedMtu: z.number().int().nullable(),
});
export type PingResult = z.infer<typeof PingResult>;

const SUMMARY =
  /(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?, ([\d.]+)% packet loss/;
const RTT = /^rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//m;
const MTU = /message too long, mtu=(\d+)|Frag needed and DF set \(mtu = (\d+)\)/;

/** stdout and stderr together (the summary is on stdout, the MTU errors on stderr). */
export function parsePing(stdout: string, stderr = ""): PingResult {
  const s = SUMMARY.exec(stdout);
  if (!s) {
    const why = stderr.trim().split("\n")[0] || stdout.trim().split("\n")[0] || "no output";
    throw new ParseError("ping", `no 'packets transmitted' summary: ${why}`);
  }
  const mtu = MTU.exec(`${stdout}\n${stderr}`);
  const rtt = RTT.exec(stdout);
  return {
    transmitted: Number(s[1]),
    received: Number(s[2]),
    errors: Number(s[4] ?? 0),
    lossPercent: Number(s[5]),
    rttAvgMs: rtt ? Number(rtt[1]) : null,
    reportedMtu: mtu ? Number(mtu[1] ?? mtu[2]) : null,
  };
}
