/** Build a scenario from scratch and make it the lab's state (faults and all changes are gone). */
import { mkdirSync } from "node:fs";
import { findScenario } from "./scenarios/index.js";
import type { LabState } from "./state.js";
import { labDir, saveLab } from "./store.js";

export interface ResetLabOptions {
  stateDir: string;
  /** @default "default" */
  scenario?: string;
}

export async function resetLab(options: ResetLabOptions): Promise<LabState> {
  const state = findScenario(options.scenario ?? "default").build();
  mkdirSync(labDir(options.stateDir), { recursive: true });
  await saveLab(options.stateDir, state);
  return state;
}
