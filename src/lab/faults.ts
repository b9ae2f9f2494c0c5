/**
 * Injected failures, persisted with the lab so they hit whichever process runs the command:
 * `fail` answers with an exit code instead of running it, `hang` never answers, `drop` breaks the
 * connection (before the command, or with `after` once it has run and changed the node).
 */
import { z } from "zod";
import { type Fault, FaultAction, type LabState } from "./state.js";
import { loadLab, updateLab } from "./store.js";

export const FaultInput = z.object({
  id: z.string().min(1).optional(),
  node: z.string().nullable().default(null),
  match: z.string().min(1),
  action: FaultAction,
  exitCode: z.number().int().optional(),
  stderr: z.string().optional(),
  after: z.boolean().optional(),
  times: z.number().int().positive().nullable().default(null),
});
export type FaultInput = z.input<typeof FaultInput>;

export async function addFault(stateDir: string, input: FaultInput): Promise<Fault> {
  const parsed = FaultInput.parse(input);
  return updateLab(stateDir, (state) => {
    const fault: Fault = { ...parsed, id: parsed.id ?? `f${state.nextFaultId}` };
    state.nextFaultId += 1;
    state.faults = state.faults.filter((f) => f.id !== fault.id);
    state.faults.push(fault);
    return fault;
  });
}

export async function listFaults(stateDir: string): Promise<Fault[]> {
  return (await loadLab(stateDir)).faults;
}

/** Remove one fault by id, or all of them. Returns how many were removed. */
export async function clearFaults(stateDir: string, id?: string): Promise<number> {
  return updateLab(stateDir, (state) => {
    const before = state.faults.length;
    state.faults = id === undefined ? [] : state.faults.filter((f) => f.id !== id);
    return before - state.faults.length;
  });
}

/** The first fault matching this command on this node; counts it down and forgets it when used up. */
export function takeFault(state: LabState, node: string, command: string): Fault | null {
  const fault = state.faults.find((f) => (f.node === null || f.node === node) && command.includes(f.match));
  if (!fault) return null;
  if (fault.times !== null) {
    fault.times -= 1;
    if (fault.times <= 0) state.faults = state.faults.filter((f) => f !== fault);
  }
  return fault;
}
