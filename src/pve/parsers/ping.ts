/**
 * iputils `ping` (Debian 12/13, iputils 20221126+) as a reachability answer: the statistics line
 * `N packets transmitted, M received[, +E errors], P% packet loss, time Tms`, the local
 * `ping: local error: message too long, mtu=1500` (stderr, DF packet above the outgoing interface's
 * MTU) and `From A icmp_seq=N Destination Host Unreachable` / `Frag needed` rows. Pure.
 */
import { z } from "zod";
import { ParseError } from "./format.js";

export const PingResult = z.object({
  transmitted: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** The outgoing interface's MTU when the kernel refused the DF packet as too long; null otherwise. */
  localMtu: z.number().int().nullable(),
  /** A router or the host answered "Frag needed" (`mtu = N` on the path); null otherwise. */
  pathMtu: z.number().int().nullable(),
  /** ARP or a router said the host is unreachable. */
  hostUnreachable: z.boolean(),
});
export type PingResult = z.infer<typeof PingResult>;

const STATS = /^(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) errors)?/m;

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
  return {
    transmitted: Number(stats[1]),
    received: Number(stats[2]),
    errors: Number(stats[3] ?? 0),
    localMtu: local ? Number(local[1]) : null,
    pathMtu: frag ? Number(frag[1]) : null,
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
