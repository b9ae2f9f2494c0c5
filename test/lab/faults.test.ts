import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addFault, clearFaults, LabTransport, listFaults, resetLab } from "../../src/lab/index.js";
import { tempStateDir } from "./helpers.js";

let temp: ReturnType<typeof tempStateDir>;
let lab: LabTransport;

beforeEach(async () => {
  temp = tempStateDir();
  await resetLab({ stateDir: temp.dir });
  lab = new LabTransport({ stateDir: temp.dir });
});
afterEach(async () => {
  await lab.close();
  temp.cleanup();
});

describe("faults", () => {
  it("fails a matching command without running it, as often as asked", async () => {
    await addFault(temp.dir, {
      node: "pve1",
      match: "pct unlock",
      action: "fail",
      exitCode: 255,
      stderr: "boom",
      times: 1,
    });
    const failed = await lab.exec("pve1", "pct unlock 100");
    expect(failed).toMatchObject({ exitCode: 255, stderr: "boom\n", failed: true });
    expect((await lab.exec("pve1", "pct list")).stdout).toContain("backup");
    expect((await lab.exec("pve1", "pct unlock 100")).exitCode).toBe(0);
    expect(await listFaults(temp.dir)).toEqual([]);
  });

  it("only hits the node it names", async () => {
    await addFault(temp.dir, { node: "pve2", match: "hostname", action: "fail" });
    expect((await lab.exec("pve1", "hostname")).exitCode).toBe(0);
    expect((await lab.exec("pve2", "hostname")).exitCode).toBe(1);
  });

  it("hangs until the caller's timeout fires", async () => {
    await addFault(temp.dir, { match: "pvecm status", action: "hang" });
    const result = await lab.exec("pve3", "pvecm status", { timeoutMs: 50 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null, failed: true });
    expect(result.durationMs).toBeGreaterThanOrEqual(45);
  });

  it("drops the connection before the command runs, or after it ran with `after`", async () => {
    const before = await addFault(temp.dir, { match: "pct unlock 100", action: "drop", times: 1 });
    expect(before.id).toBe("f1");
    expect(await lab.exec("pve1", "pct unlock 100")).toMatchObject({ connectionLost: true, exitCode: null });
    expect((await lab.exec("pve1", "pct config 100")).stdout).toContain("lock: backup");
    await addFault(temp.dir, { match: "pct unlock 100", action: "drop", after: true, times: 1 });
    expect((await lab.exec("pve1", "pct unlock 100")).connectionLost).toBe(true);
    expect((await lab.exec("pve1", "pct config 100")).stdout).not.toContain("lock:");
  });

  it("clears one fault by id or all of them", async () => {
    await addFault(temp.dir, { id: "a", match: "x", action: "fail" });
    await addFault(temp.dir, { id: "b", match: "y", action: "fail" });
    expect(await clearFaults(temp.dir, "a")).toBe(1);
    expect((await listFaults(temp.dir)).map((f) => f.id)).toEqual(["b"]);
    expect(await clearFaults(temp.dir)).toBe(1);
  });
});
