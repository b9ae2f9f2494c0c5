/** Test helpers: a scenario held in memory (no disk) with a `run` that behaves like one exec. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandOutput, Hang } from "../../src/lab/commands/types.js";
import { findScenario } from "../../src/lab/scenarios/index.js";
import { runCommandLine } from "../../src/lab/shell/run.js";
import type { LabNode, LabState } from "../../src/lab/state.js";

export interface MemoryLab {
  state: LabState;
  node(name: string): LabNode;
  run(node: string, command: string, stdin?: string): CommandOutput | Hang;
  /** Like run, but fails the test if the command hangs. */
  sh(node: string, command: string, stdin?: string): CommandOutput;
}

export function memoryLab(scenario = "default"): MemoryLab {
  const state = findScenario(scenario).build();
  const node = (name: string) => {
    const found = state.nodes.find((n) => n.name === name);
    if (!found) throw new Error(`no node ${name}`);
    return found;
  };
  const run = (name: string, command: string, stdin = "") => {
    state.clock += 1;
    return runCommandLine(state, node(name), command, stdin);
  };
  return {
    state,
    node,
    run,
    sh(name, command, stdin) {
      const result = run(name, command, stdin);
      if (result === "hang") throw new Error(`unexpected hang: ${command}`);
      return result;
    },
  };
}

export function tempStateDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "pvefix-lab-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
