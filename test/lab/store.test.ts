import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { labExists, loadLab, resetLab, updateLab } from "../../src/lab/index.js";
import { tempStateDir } from "./helpers.js";

let temp: ReturnType<typeof tempStateDir>;

beforeEach(() => {
  temp = tempStateDir();
});
afterEach(() => temp.cleanup());

describe("lab store", () => {
  it("tells the operator to reset when there is no lab yet", async () => {
    expect(labExists(temp.dir)).toBe(false);
    await expect(loadLab(temp.dir)).rejects.toMatchObject({ code: "PVEFIX_LAB_MISSING" });
    await expect(updateLab(temp.dir, () => undefined)).rejects.toMatchObject({ code: "PVEFIX_LAB_MISSING" });
  });

  it("loses no update when many writers change the state at the same time", async () => {
    await resetLab({ stateDir: temp.dir });
    const start = (await loadLab(temp.dir)).nextFaultId;
    await Promise.all(
      Array.from({ length: 40 }, () =>
        updateLab(temp.dir, (state) => {
          state.nextFaultId += 1;
        }),
      ),
    );
    expect((await loadLab(temp.dir)).nextFaultId).toBe(start + 40);
  });

  it("takes over a lock left behind by a process that died", async () => {
    await resetLab({ stateDir: temp.dir });
    const lockDir = join(temp.dir, "lab", "state.lock");
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, "owner"), "999999999\n");
    await updateLab(temp.dir, (state) => {
      state.clock += 100;
    });
    expect((await loadLab(temp.dir)).clock).toBeGreaterThan(1_773_237_727 + 99);
  });

  it("resets to a named scenario and rejects unknown ones", async () => {
    expect((await resetLab({ stateDir: temp.dir, scenario: "hung-nfs" })).scenario).toBe("hung-nfs");
    await expect(resetLab({ stateDir: temp.dir, scenario: "nope" })).rejects.toMatchObject({
      code: "PVEFIX_LAB_UNKNOWN_SCENARIO",
    });
  });
});
