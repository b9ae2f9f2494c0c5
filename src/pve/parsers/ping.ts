/**
 * iputils `ping` (Debian 12/13, iputils 20221126+, ping/ping_common.c `finish()`) as a
 * reachability answer: the summary `N packets transmitted, M received[, +K duplicates][, +C
 * corrupted][, +E errors], P% packet loss, time Tms`, the `rtt min/avg/max/mdev = a/b/c/d ms` line
 * when something came back, the local `ping: local error: message too long, mtu=1500` (stderr, DF
 * packet above the outgoing interface's MTU) and `From A icmp_seq=N Destination Host Unreachable` /
 * `Frag needed and DF set (mtu = N)` rows (absent with `-q`). Pure.
 */
import { z } from "zod";
import { ParseError } from "./format.js";

export const PingResult = z.object({
  transmitted: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  lossPercent: z.number(),
  /** Average round trip of the replies; null when none came back. */
  rttAvgMs: z.number().nullable(),
  /** The outgoing interface's MTU when the kernel refused the DF packet as too long; null otherwise. */
  localMtu: z.number().int().nullable(),
  /** A router or the host answered "Frag needed" (`mtu = N` on the path); null otherwise. */
  pathMtu: z.number().int().nullable(),
  /** An MTU the sender itself or some hop reported as too small for the DF packet (localMtu ?? pathMtu). */
  reportedMtu: z.number().int().nullable(),
  /** ARP or a router said the host is unreachable. */
  hostUnreachable: z.boolean(),
});
export type PingResult = z.infer<typeof PingResult>;

const STATS =
  /^(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) duplicates)?(?:, \+(\d+) corrupted)?(?:, \+(\d+) errors)?, ([\d.]+)% packet loss/m;
const RTT = /^rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//m;

/** `stdout` and `stderr` of one `ping`; throws ParseError when neither has the statistics line. */
export function parsePing(stdout: string, stderr = ""): PingResult {
  const text = `${stdout}\n${stderr}`;
  const stats = STATS.exec(text);
  if (!stats) {
    const first = stderr.trim().split("\n")[0] || stdout.trim().split("\n")[0] || "(no output)";
    throw new ParseError("ping", `no statistics line: ${first}`);
  }
  const local = /local error: message too long, mtu=(\d+)/.exec(text);
  const frag = /Frag needed and DF set \(mtu = (\d+)\)/.exec(text);
  const rtt = RTT.exec(text);
  const localMtu = local ? Number(local[1]) : null;
  const pathMtu = frag ? Number(frag[1]) : null;
  return {
    transmitted: Number(stats[1]),
    received: Number(stats[2]),
    errors: Number(stats[5] ?? 0),
    lossPercent: Number(stats[6]),
    rttAvgMs: rtt ? Number(rtt[1]) : null,
    localMtu,
    pathMtu,
    reportedMtu: localMtu ?? pathMtu,
    hostUnreachable: /Destination (Host|Net) Unreachable/.test(text),
  };
}

/** Why a ping did not prove the path, in words; null when at least one reply came back. */
export function pingProblem(p: PingResult, size: number, headers = 28): string | null {
  if (p.received > 0) return null;
  if (p.localMtu !== null)
    return `the outgoing interface's MTU is ${p.localMtu}: a ${size + headers}-byte packet does not fit`;
  if (p.pathMtu !== null) return `a hop on the path has MTU ${p.pathMtu} (Frag needed)`;
  if (p.hostUnreachable) return "destination host unreachable (no ARP answer)";
  return `no reply to ${p.transmitted} unfragmented ${size + headers}-byte packets (lost, filtered, or dropped above a smaller MTU)`;
}
