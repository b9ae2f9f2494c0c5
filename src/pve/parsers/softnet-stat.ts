/**
 * `/proc/net/softnet_stat` (Linux net/core/net-procfs.c `softnet_seq_show`): one line per CPU of
 * 8-digit hex columns; column 1 packets processed, column 2 dropped because the backlog queue
 * (netdev_max_backlog) was full, column 3 time_squeeze (the budget ran out). Older kernels print
 * 11 columns, newer 13 to 15: only the first three are read.
 */
import { z } from "zod";
import { ParseError } from "./format.js";

export const SoftnetTotals = z.object({
  cpus: z.number().int(),
  processed: z.number(),
  dropped: z.number(),
  timeSqueeze: z.number(),
});
export type SoftnetTotals = z.infer<typeof SoftnetTotals>;

export function parseSoftnetStat(text: string): SoftnetTotals {
  const totals = { cpus: 0, processed: 0, dropped: 0, timeSqueeze: 0 };
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || !cols.every((c) => /^[0-9a-f]+$/i.test(c)))
      throw new ParseError("softnet-stat", `expected hex columns, got '${line}'`, i + 1);
    totals.cpus += 1;
    totals.processed += Number.parseInt(cols[0]!, 16);
    totals.dropped += Number.parseInt(cols[1]!, 16);
    totals.timeSqueeze += Number.parseInt(cols[2]!, 16);
  });
  if (totals.cpus === 0) throw new ParseError("softnet-stat", "no CPU lines");
  return totals;
}
