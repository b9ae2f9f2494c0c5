import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { GlobalOptions } from "../../src/cli/global-options.js";
import { globalsForRun, resolveRunId } from "../../src/cli/run-ref.js";

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-runref-"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

function journal(runId: string, start: Record<string, unknown>): void {
  fs.mkdirSync(path.join(stateDir, "runs"), { recursive: true });
  const entry = {
    type: "run-start",
    time: "2026-12-05T00:00:00.000Z",
    runId,
    runbook: "stuck-lock",
    mode: "interactive",
    params: { vmid: 100 },
    user: "root",
    host: "ops1",
    pid: 1,
    ...start,
  };
  fs.writeFileSync(path.join(stateDir, "runs", `${runId}.jsonl`), `${JSON.stringify(entry)}\n`);
}

const LAB = "20261205T000000Z-stuck-lock-aaaa";
const SSH = "20261205T000100Z-stuck-lock-bbbb";
const OLD = "20261205T000200Z-stuck-lock-cccc";
journal(LAB, { cluster: "lab", transport: "lab" });
journal(SSH, { cluster: "prod", transport: "ssh", inventory: "/etc/pvefix/prod cl.yaml" });
journal(OLD, { cluster: "prod", transport: "ssh" });
// Made on a PVE node with no -i (the day before, so `last` and the prefixes above are unchanged).
const NODE = "20261204T230000Z-stuck-lock-dddd";
journal(NODE, { cluster: "prod", transport: "node" });
// Through an Ansible inventory whose group `pve_prod` is the cluster.
const GROUP = "20261204T230100Z-stuck-lock-eeee";
journal(GROUP, {
  cluster: "pve_prod",
  transport: "ssh",
  inventory: "/etc/ansible/hosts",
  inventoryGroup: "pve_prod",
});

const globals: GlobalOptions = {
  lab: false,
  stateDir,
  output: "text",
  color: false,
  verbose: false,
  acceptNewHostKeys: false,
};

describe("naming a run", () => {
  it("takes the full id, a unique prefix or `last`", () => {
    expect(resolveRunId(stateDir, SSH)).toBe(SSH);
    expect(resolveRunId(stateDir, "20261205T0001")).toBe(SSH);
    expect(resolveRunId(stateDir, "last")).toBe(OLD);
    expect(() => resolveRunId(stateDir, "20261205T")).toThrow(/matches 3 runs/);
    expect(() => resolveRunId(stateDir, "2027")).toThrow(/No run 2027 in/);
  });
});

describe("the cluster of a run given without --lab or -i", () => {
  it("is the lab when the journal says so", () => {
    expect(globalsForRun(globals, LAB).lab).toBe(true);
  });

  it("keeps what was given", () => {
    expect(globalsForRun({ ...globals, inventory: "x.yaml" }, SSH).inventory).toBe("x.yaml");
  });

  it("says which -i to pass for an inventory run, quoted for pasting", () => {
    expect(() => globalsForRun(globals, SSH)).toThrow(
      `✖ No cluster given: run ${SSH} was made on cluster prod over ssh; pass -i '/etc/pvefix/prod cl.yaml'`,
    );
    expect(() => globalsForRun(globals, OLD)).toThrow(/pass -i with the inventory of cluster prod/);
  });

  it("names the Ansible group too when the run was made with --group", () => {
    expect(() => globalsForRun(globals, GROUP)).toThrow(
      `✖ No cluster given: run ${GROUP} was made on cluster pve_prod over ssh; pass -i /etc/ansible/hosts --group pve_prod`,
    );
  });

  it("finds the cluster again on the node for a run made there with no -i", () => {
    expect(globalsForRun(globals, NODE)).toEqual(globals);
  });
});
