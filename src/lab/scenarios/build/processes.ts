/** Processes that were started some time before the scenario's "now". */
import { USER_HZ } from "../../model/clock.js";
import type { LabNode, LabProc, LabState } from "../../state.js";

/** Start ticks `secondsAgo` before now, with a little jitter so numbers look like real ones. */
export function ticksAgo(state: LabState, node: LabNode, secondsAgo: number): number {
  return (state.clock - secondsAgo - node.bootTime) * USER_HZ + ((state.nextPid * 37) % USER_HZ);
}

export function startedAgo(
  state: LabState,
  node: LabNode,
  comm: string,
  secondsAgo: number,
  details: Partial<Pick<LabProc, "args" | "rss" | "cpuPermille" | "unit">> = {},
): LabProc {
  const proc: LabProc = {
    pid: state.nextPid,
    starttime: ticksAgo(state, node, secondsAgo),
    comm,
    state: "S",
    args: details.args ?? "",
    rss: details.rss ?? 0,
    cpuPermille: details.cpuPermille ?? 0,
    unit: details.unit ?? null,
  };
  state.nextPid += 1 + ((state.nextPid * 7) % 13); // pids are not consecutive on a busy node
  node.procs.push(proc);
  return proc;
}
