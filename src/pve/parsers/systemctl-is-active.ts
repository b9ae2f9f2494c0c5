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

export const systemctlIsActiveFormat: ParserFormat<UnitState[]> = {
  name: FORMAT,
  description: "systemctl is-active <units>: one state per unit, in order (exit code is not trusted)",
  schema: z.array(UnitState),
  parse: parseSystemctlIsActive,
};
