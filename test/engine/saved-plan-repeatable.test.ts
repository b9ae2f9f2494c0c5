/**
 * `apply` runs a saved plan only when planning again builds an identical one, so planning must be
 * repeatable: on every lab scenario, every finding's plan, built twice, has no difference.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runbookById, runbooks } from "../../runbooks/index.js";
import { diagnose } from "../../src/engine/diagnose.js";
import { InputError } from "../../src/engine/errors.js";
import { planDifferences } from "../../src/engine/plan.js";
import { planOnly } from "../../src/engine/session.js";
import { listScenarios, resetLab } from "../../src/lab/index.js";
import { zerotierSampling } from "../../src/pve/probes/zerotier.js";
import { QuickLab } from "../lab/quick-lab.js";

// It runs with the integration project (test/projects.ts), without the unit setup: the lab's
// zerotier-one grows per `ps` sample, not per second, so take the two samples back to back.
zerotierSampling.intervalMs = 0;

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-repeatable-"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

const compared = new Set<string>();

describe("planning twice on an unchanged cluster", () => {
  it.each(listScenarios().map((s) => s.name))(
    "builds identical plans in scenario %s",
    async (scenario) => {
      await resetLab({ stateDir, scenario });
      const target = {
        // A hung command gives up sooner: plans are compared, not how long a timeout lasts.
        transport: new QuickLab({ stateDir }),
        nodes: ["pve1", "pve2", "pve3"],
        cluster: "lab",
      };
      const findings = await diagnose({ ...target, runbooks });
      // A scenario of a branch with nothing to fix (a healthy storage, a destroyed guest) has no finding.
      expect(findings.filter((f) => !runbooks.some((r) => r.meta.id === f.runbook))).toEqual([]);
      // One finding per runbook is enough to cover its plan builder; the machine is shared.
      const one = findings.filter((f, i) => findings.findIndex((g) => g.runbook === f.runbook) === i);
      for (const finding of one) {
        const plan = async () => {
          try {
            return await planOnly({
              ...target,
              stateDir,
              runbook: runbookById(finding.runbook),
              rawParams: finding.params,
            });
          } catch (error) {
            // A finding whose command needs more input (`--file PATH-TO-NEW-CONF`) has nothing to plan yet.
            if (error instanceof InputError) return null;
            throw error;
          }
        };
        const first = await plan();
        const second = await plan();
        // A refusal or a missing input is repeatable too: the second attempt ends the same way.
        expect(second?.kind ?? null, finding.command).toBe(first?.kind ?? null);
        if (first?.kind !== "plan" || second?.kind !== "plan") continue;
        compared.add(finding.runbook);
        expect(second.plan.fingerprint, finding.command).toBe(first.plan.fingerprint);
        expect(planDifferences(first.plan, second.plan), finding.command).toEqual([]);
      }
    },
    120_000,
  );

  it("compared a plan of every runbook that diagnose suggests with complete parameters", () => {
    // A diagnostic plans nothing; not-quorate-config (--file) and two-node-qdevice (--qnetd) need
    // an input only the operator has before their findings' commands can plan.
    const needInput = new Set(["not-quorate-config", "two-node-qdevice"]);
    expect([...compared].sort()).toEqual(
      runbooks
        .filter((r) => r.meta.kind !== "diagnostic" && !needInput.has(r.meta.id))
        .map((r) => r.meta.id)
        .sort(),
    );
  });
});
