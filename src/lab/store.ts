/**
 * Where the lab lives on disk (`<stateDir>/lab/`) and how its state is read and written:
 * readers see whole documents only (write to a temporary file, then rename), and every
 * read-modify-write runs under the inter-process lock so concurrent processes lose nothing.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LabError } from "./errors.js";
import { withDirLock } from "./lock.js";
import { LabState } from "./state.js";

export function labDir(stateDir: string): string {
  return join(stateDir, "lab");
}

function statePath(stateDir: string): string {
  return join(labDir(stateDir), "state.json");
}

function lockPath(stateDir: string): string {
  return join(labDir(stateDir), "state.lock");
}

export function labExists(stateDir: string): boolean {
  return existsSync(statePath(stateDir));
}

export function loadLabSync(stateDir: string): LabState {
  const path = statePath(stateDir);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new LabError(
        "PVEFIX_LAB_MISSING",
        `No lab in ${labDir(stateDir)}: run \`pvefix lab reset\` first`,
      );
    }
    throw error;
  }
  const bad = (cause: unknown) =>
    new LabError("PVEFIX_LAB_BAD_STATE", `${path} is not a valid lab state (run \`pvefix lab reset\`)`, {
      cause,
    });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // A truncated or hand-edited file is the same problem as a wrong shape, with the same way out.
    throw bad(error);
  }
  const parsed = LabState.safeParse(json);
  if (!parsed.success) throw bad(parsed.error);
  return parsed.data;
}

export async function loadLab(stateDir: string): Promise<LabState> {
  return loadLabSync(stateDir);
}

export async function saveLab(stateDir: string, state: LabState): Promise<void> {
  const valid = LabState.parse(state);
  mkdirSync(labDir(stateDir), { recursive: true });
  await withDirLock(lockPath(stateDir), () => writeState(stateDir, valid));
}

/** Load, change and save the state as one step no other process can interleave with. */
export async function updateLab<T>(stateDir: string, change: (state: LabState) => T): Promise<T> {
  if (!labExists(stateDir)) loadLabSync(stateDir); // throws the "run lab reset" error
  return withDirLock(lockPath(stateDir), () => {
    const state = loadLabSync(stateDir);
    const result = change(state);
    writeState(stateDir, state);
    return result;
  });
}

function writeState(stateDir: string, state: LabState): void {
  const path = statePath(stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(tmp, path);
}
