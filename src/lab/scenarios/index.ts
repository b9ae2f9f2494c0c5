/**
 * The scenario registry: every file in this folder declares its `scenarios`; registry.ts, generated
 * by `npm run docs`, lists them all. Adding a scenario = one file (then `npm run docs`).
 */
import { LabError } from "../errors.js";
import { registered } from "./registry.js";
import type { Scenario } from "./types.js";

export const scenarios: readonly Scenario[] = registered;

export function findScenario(name: string): Scenario {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) {
    throw new LabError(
      "PVEFIX_LAB_UNKNOWN_SCENARIO",
      `Unknown lab scenario '${name}'; choose one of: ${scenarios.map((s) => s.name).join(", ")}`,
    );
  }
  return scenario;
}

export function listScenarios(): Array<{ name: string; description: string }> {
  return scenarios.map(({ name, description }) => ({ name, description }));
}

export type { Scenario };
