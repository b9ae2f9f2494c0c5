import { describe, expect, it } from "vitest";
import type { GlobalOptions } from "../../src/cli/global-options.js";
import { normalizeGlobals } from "../../src/cli/global-options.js";
import { stateFlags, targetFlags } from "../../src/cli/target.js";
import { onTarget } from "../../src/views/command-line.js";

const withTargetFlags = (command: string, g: GlobalOptions) => onTarget(command, targetFlags(g));

const globals = (over: Partial<GlobalOptions>): GlobalOptions => ({
  lab: false,
  stateDir: "/tmp/state",
  output: "text",
  color: false,
  verbose: false,
  acceptNewHostKeys: false,
  ...over,
});

describe("target flags for printed next commands", () => {
  it("points a next command at the lab when this one ran on the lab", () => {
    expect(withTargetFlags("pvefix run stuck-lock --vmid 100", globals({ lab: true }))).toBe(
      "pvefix run stuck-lock --vmid 100 --lab",
    );
  });

  it("repeats the inventory, quoted so a path with spaces still pastes as one argument", () => {
    expect(targetFlags(globals({ inventory: "/etc/pvefix/prod cl01.yaml" }))).toBe(
      "-i '/etc/pvefix/prod cl01.yaml'",
    );
    expect(withTargetFlags("pvefix plan stuck-lock --vmid 200", globals({ inventory: "cluster.yaml" }))).toBe(
      "pvefix plan stuck-lock --vmid 200 -i cluster.yaml",
    );
  });

  it("repeats --state-dir when this command was given one, and only then", () => {
    const given = normalizeGlobals({ lab: true, stateDir: "runs dir" });
    expect(given.stateDir).toBe(given.stateDirFlag);
    expect(targetFlags(given)).toBe(`--lab --state-dir '${given.stateDir}'`);
    expect(stateFlags(given)).toBe(`--state-dir '${given.stateDir}'`);
    const defaulted = normalizeGlobals({ lab: true });
    expect(targetFlags(defaulted)).toBe("--lab");
    expect(stateFlags(defaulted)).toBe("");
  });

  it("leaves commands that are not pvefix commands as they are", () => {
    expect(withTargetFlags("ssh pve1 pct unlock 100", globals({ lab: true }))).toBe(
      "ssh pve1 pct unlock 100",
    );
  });

  it("adds no target to commands that never reach a cluster", () => {
    const g = globals({ inventory: "cluster.yaml" });
    expect(withTargetFlags("pvefix list", g)).toBe("pvefix list");
    expect(withTargetFlags("pvefix explain stuck-lock", g)).toBe("pvefix explain stuck-lock");
    expect(withTargetFlags("pvefix lab scenarios", g)).toBe("pvefix lab scenarios");
    expect(withTargetFlags("pvefix diagnose", g)).toBe("pvefix diagnose -i cluster.yaml");
  });
});
