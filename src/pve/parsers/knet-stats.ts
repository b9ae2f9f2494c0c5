/**
 * knet link statistics from `corosync-cmapctl -m stats stats.knet.` (corosync exec/stats.c, knet
 * `struct knet_link_stats`): `stats.knet.node<id>.link<n>.<counter> (<type>) = <value>`, parsed by
 * the cmapctl parser. Latencies are microseconds; `down_count` counts the link's down transitions
 * since corosync started.
 */
import { z } from "zod";
import { type CmapKeys, cmapInteger } from "./corosync-cmapctl.js";

export const KnetLinkStats = z.object({
  nodeId: z.number().int(),
  link: z.number().int(),
  enabled: z.boolean().nullable(),
  connected: z.boolean().nullable(),
  latencyAveUs: z.number().int().nullable(),
  latencyMaxUs: z.number().int().nullable(),
  downCount: z.number().int().nullable(),
  upCount: z.number().int().nullable(),
  mtu: z.number().int().nullable(),
  txErrors: z.number().int().nullable(),
  rxRetries: z.number().int().nullable(),
});
export type KnetLinkStats = z.infer<typeof KnetLinkStats>;

const KEY = /^stats\.knet\.node(\d+)\.link(\d+)\./;

export function knetLinkStats(keys: CmapKeys): KnetLinkStats[] {
  const pairs = new Map<string, [number, number]>();
  for (const key of Object.keys(keys)) {
    const m = KEY.exec(key);
    if (m) pairs.set(`${m[1]}.${m[2]}`, [Number(m[1]), Number(m[2])]);
  }
  return [...pairs.values()]
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([nodeId, link]) => {
      const get = (name: string) => cmapInteger(keys, `stats.knet.node${nodeId}.link${link}.${name}`);
      const flag = (name: string) => {
        const v = get(name);
        return v === null ? null : v !== 0;
      };
      return {
        nodeId,
        link,
        enabled: flag("enabled"),
        connected: flag("connected"),
        latencyAveUs: get("latency_ave"),
        latencyMaxUs: get("latency_max"),
        downCount: get("down_count"),
        upCount: get("up_count"),
        mtu: get("mtu"),
        txErrors: get("tx_total_errors"),
        rxRetries: get("rx_total_retries"),
      };
    });
}
