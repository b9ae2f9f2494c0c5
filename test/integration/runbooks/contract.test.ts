/**
 * The runbook contract, in the lab: every runbook has lab scenarios named after it, and each of its
 * examples, planned in each of them, reaches a decision: a plan whose checks the runbook has, nothing
 * to do, or a refusal whose code the runbook declares. At least one of them is a plan.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runbooks } from "../../../runbooks/index.js";
import type { Planned } from "../../../src/engine/plan.js";
import { planOnly } from "../../../src/engine/session.js";
import { LabTransport, listScenarios, resetLab } from "../../../src/lab/index.js";

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-contract-"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

/**
 * Runbooks whose examples name files on the operator's machine (`--file corosync.conf.fixed`), which
 * the lab does not have: their examples must still reach declared decisions, but need not plan.
 */
const EXAMPLES_NEED_FILES = new Set(["not-quorate-config"]);

const scenariosOf = (id: string) =>
  listScenarios()
    .map((s) => s.name)
    .filter((name) => name === id || name.startsWith(`${id}-`));

describe.each(runbooks.map((r) => [r.meta.id, r] as const))("runbook %s in the lab", (id, runbook) => {
  it("has scenarios named after it; its examples reach declared decisions there, one a plan", async () => {
    const scenarios = scenariosOf(id);
    expect(scenarios, `add a lab scenario named ${id} (src/lab/scenarios/)`).not.toEqual([]);
    const kinds = new Set<string>();
    for (const scenario of scenarios) {
      await resetLab({ stateDir, scenario });
      const target = {
        transport: new LabTransport({ stateDir }),
        nodes: ["pve1", "pve2", "pve3"],
        cluster: "lab",
      };
      for (const example of runbook.examples) {
        const planned: Planned = await planOnly({ ...target, stateDir, runbook, rawParams: example.params });
        const where = `${scenario}: ${example.intent}`;
        kinds.add(planned.kind);
        if (planned.kind === "refusal") {
          expect(Object.keys(runbook.meta.refuses), `${where} refused ${planned.refusal.code}`).toContain(
            planned.refusal.code,
          );
        }
        if (planned.kind === "plan") {
          const checks = [...planned.plan.steps.flatMap((s) => s.verify), ...planned.plan.postconditions];
          for (const check of checks) expect(Object.keys(runbook.checks ?? {}), where).toContain(check.name);
        }
      }
    }
    // A diagnostic never plans a step: it reports what it found as nothing to do.
    if (runbook.meta.kind === "diagnostic") expect([...kinds]).toEqual(["nothing-to-do"]);
    else if (EXAMPLES_NEED_FILES.has(id)) expect(kinds.size).toBeGreaterThan(0);
    else expect([...kinds], `no example of ${id} plans in ${scenarios.join(", ")}`).toContain("plan");
  }, 180_000);
});
