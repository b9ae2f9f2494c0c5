import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSession, json, type Started } from "./pvefix.js";

const cli = cliSession();
const CT100 = "/etc/pve/nodes/pve1/lxc/100.conf";

describe("stuck-lock over real SSH through `pvefix lab serve`", () => {
  let server: Started;
  let inventory: string;
  let original: string;
  let runId: string;

  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    original = (await cli.labExec("pve1", "cat", CT100)).stdout;
    server = cli.start(["lab", "serve"]);
    await server.waitFor(/Use it with: pvefix -i (\S+) diagnose/);
    inventory = /Use it with: pvefix -i (\S+) diagnose/.exec(server.output())![1]!;
  });

  afterAll(async () => {
    if (server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("prints an inventory of loopback nodes with a known_hosts file", () => {
    expect(server.output()).toMatch(/^cluster: lab$/m);
    expect(server.output()).toMatch(/knownHosts: \S+known_hosts/);
    expect(server.output().match(/host: 127\.0\.0\.1/g)).toHaveLength(3);
  });

  it("runs stuck-lock unattended over SSH and journals the ssh transport", async () => {
    const result = await cli.pvefix([
      "-i",
      inventory,
      "run",
      "stuck-lock",
      "--vmid",
      "100",
      "--unattended",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const run = json<{ runId: string; outcome: string }>(result);
    expect(run.outcome).toBe("done");
    runId = run.runId;
    expect((await cli.labExec("pve1", "cat", CT100)).stdout).not.toMatch(/^lock:/m);
    const { entries } = json<{ entries: Array<{ type: string; transport?: string }> }>(
      await cli.pvefix(["show", runId, "-o", "json"]),
    );
    expect(entries.find((e) => e.type === "run-start")?.transport).toBe("ssh");
  });

  it("undoes the run over SSH from the same state directory, byte for byte", async () => {
    const result = await cli.pvefix(["-i", inventory, "undo", runId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Undone");
    expect((await cli.labExec("pve1", "cat", CT100)).stdout).toBe(original);
  });

  it("stops serving on SIGTERM", async () => {
    server.child.kill("SIGTERM");
    expect((await server.exited).code).toBe(0);
  });
});
