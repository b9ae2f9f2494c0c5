/**
 * `ps -o pid=,rss=,pcpu=,comm= -C <name>`: one sample of a process's memory and CPU, e.g. to see a
 * zerotier-one that loops traffic through a bridge and grows until the OOM killer stops it.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";

export const PsSample = z.object({
  pid: z.number().int().positive(),
  rssKiB: z.number().int().nonnegative(),
  /** CPU time / elapsed time over the process's whole life; above 100 for multi-threaded processes. */
  cpuPercent: z.number().nonnegative(),
  comm: z.string().min(1),
});
export type PsSample = z.infer<typeof PsSample>;
export const PsSamples = z.array(PsSample);
export type PsSamples = z.infer<typeof PsSamples>;

// procps formats %CPU with the locale's decimal separator (`2,5` under de_DE); comm may contain spaces.
const ROW = /^\s*(\d+)\s+(\d+)\s+(\d+(?:[.,]\d+)?)\s+(.+?)\s*$/;

/** Empty output (ps exits 1 when nothing matches `-C`) is an empty list, not an error. */
export function parsePsSample(text: string): PsSamples {
  const samples: PsSample[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    const m = ROW.exec(line);
    if (!m) throw new ParseError("ps", `expected 'pid rss pcpu comm', got '${line}'`, i + 1);
    samples.push({
      pid: Number(m[1]),
      rssKiB: Number(m[2]),
      cpuPercent: Number(m[3]!.replace(",", ".")),
      comm: m[4]!,
    });
  }
  return validated("ps", PsSamples, samples);
}

export const psFormat: ParserFormat<PsSamples> = {
  name: "ps",
  description: "`ps -o pid=,rss=,pcpu=,comm= -C <name>`: pid, resident memory (KiB), CPU %, command",
  schema: PsSamples,
  parse: parsePsSample,
};
