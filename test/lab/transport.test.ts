import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LabTransport, labInventory, loadLab, resetLab, saveLab } from "../../src/lab/index.js";
import { TransportError } from "../../src/transport/errors.js";
import { tempStateDir } from "./helpers.js";

let temp: ReturnType<typeof tempStateDir>;

beforeEach(async () => {
  temp = tempStateDir();
  await resetLab({ stateDir: temp.dir, scenario: "default" });
});
afterEach(() => temp.cleanup());

describe("LabTransport", () => {
  it("returns the same result shape as SSH, with stdin delivered", async () => {
    const lab = new LabTransport({ stateDir: temp.dir });
    const result = await lab.exec("pve2", "cat > /tmp/x && cat /tmp/x", { stdin: Buffer.from("hello\n") });
    expect(result).toMatchObject({
      node: "pve2",
      command: "cat > /tmp/x && cat /tmp/x",
      exitCode: 0,
      stdout: "hello\n",
      stderr: "",
      timedOut: false,
      connectionLost: false,
      failed: false,
    });
    expect(lab.kind).toBe("lab");
  });

  it("persists changes so another transport (another process) sees them", async () => {
    await new LabTransport({ stateDir: temp.dir }).exec("pve1", "pct unlock 100");
    const other = new LabTransport({ stateDir: temp.dir });
    expect((await other.exec("pve1", "pct list")).stdout).toContain(
      "100        running                 web01",
    );
  });

  it("times out a command that hangs on a hung mount", async () => {
    const lab = new LabTransport({ stateDir: temp.dir });
    const result = await lab.exec("pve2", "stat -f -c %T /mnt/pve/nfs-backup", { timeoutMs: 30 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null, failed: true });
  });

  it("ends pending hung commands when closed", async () => {
    const lab = new LabTransport({ stateDir: temp.dir });
    const pending = lab.exec("pve2", "stat -f -c %T /mnt/pve/nfs-backup", { timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await lab.close();
    expect((await pending).timedOut).toBe(true);
  });

  it("cannot connect to a node that is down and does not know unknown nodes", async () => {
    const state = await loadLab(temp.dir);
    state.nodes[2]!.up = false;
    await saveLab(temp.dir, state);
    const lab = new LabTransport({ stateDir: temp.dir });
    await expect(lab.exec("pve3", "hostname")).rejects.toMatchObject({
      code: "PVEFIX_CONNECT_FAILED",
      node: "pve3",
    });
    await expect(lab.exec("pve9", "hostname")).rejects.toBeInstanceOf(TransportError);
    await expect(lab.connect(["pve1", "pve9"])).rejects.toMatchObject({ code: "PVEFIX_UNKNOWN_NODE" });
  });

  it("answers nothing more once closed, and a cancelled hung command reports no result", async () => {
    const lab = new LabTransport({ stateDir: temp.dir });
    const controller = new AbortController();
    const hung = lab
      .exec("pve2", "stat -f -c %T /mnt/pve/nfs-backup", { timeoutMs: 60_000, signal: controller.signal })
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reason = new Error("run over");
    controller.abort(reason);
    expect(await hung).toBe(reason);
    const clock = (await loadLab(temp.dir)).clock;
    await lab.close();
    expect(lab.closing.aborted).toBe(true);
    await expect(lab.exec("pve1", "pct unlock 100")).rejects.toMatchObject({
      code: "PVEFIX_TRANSPORT_CLOSED",
    });
    // Nothing reached the lab: its clock counts every command it ran.
    expect((await loadLab(temp.dir)).clock).toBe(clock);
  });

  it("describes the lab as an inventory", () => {
    expect(labInventory(temp.dir)).toMatchObject({
      cluster: "lab",
      nodes: [{ name: "pve1" }, { name: "pve2" }, { name: "pve3" }],
    });
  });
});
