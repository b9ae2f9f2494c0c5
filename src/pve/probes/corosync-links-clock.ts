/** The node's clock synchronisation: chrony when installed, else systemd-timesyncd's view; null when neither answers. */
import type { ProbeContext } from "../../engine/runbook.js";
import { type ClockSync, parseChronycTracking, parseTimedatectlShow } from "../parsers/clock-sync.js";
import { ParseError } from "../parsers/format.js";

export async function clockFacts(ctx: ProbeContext, node: string): Promise<ClockSync | null> {
  const attempt = async (command: string, parse: (s: string) => ClockSync) => {
    const r = await ctx.run(node, `timeout -s KILL 5 ${command}`, { timeoutMs: 15_000 });
    if (r.exitCode !== 0) return null;
    try {
      return parse(r.stdout);
    } catch (error) {
      if (error instanceof ParseError) return null;
      throw error;
    }
  };
  return (
    (await attempt("chronyc tracking", parseChronycTracking)) ??
    (await attempt("timedatectl show", parseTimedatectlShow))
  );
}
