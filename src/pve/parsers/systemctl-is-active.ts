/**
 * `systemctl is-active <unit>...` (proxmox-facts §9). Its exit code is 0 when ANY listed unit is
 * active, so a multi-unit call says nothing about each unit: read the printed states instead.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";

export const UnitState = z.enum([
  "active",
  "reloading",
  "refreshing",
  "inactive",
  "failed",
  "activating",
  "deactivating",
  "maintenance",
  "unknown",
]);
export type UnitState = z.infer<typeof UnitState>;

const FORMAT = "systemctl-is-active";

/** One state per non-empty line, in the order the units were given. */
export function parseSystemctlIsActive(text: string): UnitState[] {
  const states: UnitState[] = [];
  splitLines(text).forEach((line, index) => {
    const word = line.trim();
    if (word === "") return;
    const state = UnitState.safeParse(word);
    if (!state.success) {
      throw new ParseError(
        FORMAT,
        `expected a unit state (${UnitState.options.join(", ")}), got '${word}'`,
        index + 1,
      );
    }
    states.push(state.data);
  });
  return states;
}

/**
 * Pair the states with the units the command was called with. `activating`/`deactivating` are
 * returned as such: a stop of pve-ha-lrm can hang in `deactivating` forever, which is not "up".
 */
export function unitStates(units: readonly string[], text: string): Record<string, UnitState> {
  const states = parseSystemctlIsActive(text);
  if (states.length !== units.length) {
    throw new ParseError(
      FORMAT,
      `expected ${units.length} states for ${units.join(" ")}, got ${states.length} (was --quiet used?)`,
    );
  }
  return Object.fromEntries(units.map((unit, i) => [unit, states[i] as UnitState]));
}

export const SystemctlIsActiveReading = z.object({
  /** Unit → state, when the units are known (`--units`, or the command line in the paste). */
  units: z.record(z.string(), UnitState).nullable(),
  states: z.array(UnitState),
  /** The `systemctl is-active ...` line found in the paste, if any. */
  command: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type SystemctlIsActiveReading = z.infer<typeof SystemctlIsActiveReading>;

const STATES: ReadonlySet<string> = new Set(UnitState.options);
const COMMAND = /^(?:.*?[$#]\s*)?systemctl\s+(?:-\S+\s+)*is-active\s+(.+?)\s*$/;

/**
 * Read a paste that may carry its own command line (`$ systemctl is-active a b c`) and stderr
 * (`Failed to ...`, unknown-unit warnings). `units` (from `--units`) wins over the command line.
 */
export function readSystemctlIsActive(text: string, units?: readonly string[]): SystemctlIsActiveReading {
  let command: string | null = null;
  let named: string[] | undefined = units ? [...units] : undefined;
  const warnings: string[] = [];
  const stateLines: string[] = [];
  for (const line of splitLines(text)) {
    const word = line.trim();
    if (word === "") continue;
    const m = COMMAND.exec(word);
    if (m && command === null) {
      command = word;
      named ??= (m[1] as string).split(/\s+/).filter((arg) => !arg.startsWith("-"));
      continue;
    }
    if (STATES.has(word)) stateLines.push(word);
    else if (stateLines.length === 0 || /^(?:Failed|Warning|Unit |Invalid)/.test(word)) warnings.push(word);
    else stateLines.push(word);
  }
  const states = parseSystemctlIsActive(stateLines.join("\n"));
  if (states.length === 0) throw new ParseError(FORMAT, "no unit state line (active, inactive, failed, ...)");
  return {
    units: named === undefined ? null : unitStates(named, states.join("\n")),
    states,
    command,
    warnings,
  };
}

export const systemctlIsActiveFormat: ParserFormat<SystemctlIsActiveReading> = {
  name: FORMAT,
  description:
    "systemctl is-active <units>: states in order, unit → state from --units or the pasted command",
  schema: SystemctlIsActiveReading,
  parse: (text) => readSystemctlIsActive(text),
};
