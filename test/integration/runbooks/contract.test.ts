/**
 * The runbook contract, in the lab: every runbook has lab scenarios named after it, and each of its
 * examples, planned in each of them, reaches a decision: a plan whose checks the runbook has, nothing
 * to do, or a refusal whose code the runbook declares. Together they reach every decision branch:
 * a plan, nothing to do, and every declared refusal code, but those the runbook declares no lab
 * state can reach (`meta.labUnreachable`, with why). A diagnostic finds something in a scenario
 * named after it; no runbook finds anything in the `healthy` lab.
 *
 * In process (no CLI spawned), on the QuickLab transport (a hung command gives up after 300 ms).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runbooks } from "../../../runbooks/index.js";
import type { Planned } from "../../../src/engine/plan.js";
import { createProbeContext } from "../../../src/engine/probe-context.js";
import type { AnyRunbook } from "../../../src/engine/runbook.js";
import { planOnly } from "../../../src/engine/session.js";
import { listScenarios, loadLab, resetLab } from "../../../src/lab/index.js";
import { findScenario } from "../../../src/lab/scenarios/index.js";
import { zerotierSampling } from "../../../src/pve/probes/zerotier.js";
import { QuickLab } from "../../lab/quick-lab.js";

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-contract-"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

// Which branch a state reaches does not depend on how long zerotier-one's memory is watched.
zerotierSampling.intervalMs = 0;

/** The lab, reset to `scenario`, as the whole cluster's inventory; the scenario's operator files written. */
async function labOf(scenario: string) {
  await resetLab({ stateDir, scenario });
  const state = await loadLab(stateDir);
  const files = findScenario(scenario).operatorFiles?.(state) ?? {};
  const dir = fs.mkdtempSync(path.join(stateDir, "operator-"));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return {
    target: { transport: new QuickLab({ stateDir }), nodes: state.nodes.map((n) => n.name), cluster: "lab" },
    /** An example's params, with a file the operator has (`--file corosync.conf.fixed`) at its path. */
    params: (raw: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(raw).map(([k, v]) => [k, typeof v === "string" && v in files ? path.join(dir, v) : v]),
      ),
  };
}

const scenariosOf = (id: string) =>
  listScenarios()
    .map((s) => s.name)
    .filter((name) => name === id || name.startsWith(`${id}-`));

const remedies = runbooks.filter((r) => r.meta.kind !== "diagnostic");
const diagnostics = runbooks.filter((r) => r.meta.kind === "diagnostic");

/** Every decision the examples reach in every scenario of the runbook: `plan`, `nothing-to-do`, or a code. */
async function decisionsOf(
  runbook: AnyRunbook,
  scenarios: readonly string[],
): Promise<Map<string, string[]>> {
  const reached = new Map<string, string[]>();
  for (const scenario of scenarios) {
    const lab = await labOf(scenario);
    for (const example of runbook.examples) {
      const rawParams = lab.params(example.params);
      const planned: Planned = await planOnly({ ...lab.target, stateDir, runbook, rawParams });
      const where = `${scenario}: ${example.intent}`;
      const decision = planned.kind === "refusal" ? planned.refusal.code : planned.kind;
      reached.set(decision, [...(reached.get(decision) ?? []), where]);
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
  return reached;
}

describe.each(remedies.map((r) => [r.meta.id, r] as const))("runbook %s in the lab", (id, runbook) => {
  it("reaches a plan, nothing to do and every declared refusal in scenarios named after it", async () => {
    const scenarios = scenariosOf(id);
    expect(scenarios, `add a lab scenario named ${id} (src/lab/scenarios/)`).not.toEqual([]);
    const unreachable = runbook.meta.labUnreachable ?? {};
    const branches = ["plan", "nothing-to-do", ...Object.keys(runbook.meta.refuses)];
    expect(
      Object.keys(unreachable).filter((k) => !branches.includes(k) || k === "plan"),
      `${id}: labUnreachable names decisions it does not declare`,
    ).toEqual([]);
    const reached = await decisionsOf(runbook, scenarios);
    const missing = branches.filter((b) => !reached.has(b) && !(b in unreachable));
    expect(
      missing,
      `${id}: no example reaches these in ${scenarios.join(", ")}: add a scenario src/lab/scenarios/${id}-<branch>.ts (or declare meta.labUnreachable with why)`,
    ).toEqual([]);
    const claimed = Object.keys(unreachable).filter((b) => reached.has(b));
    expect(
      claimed.map((b) => `${b} (${reached.get(b)![0]})`),
      `${id}: declared lab-unreachable, yet reached`,
    ).toEqual([]);
  }, 120_000);
});

const detect = async (runbook: AnyRunbook, scenario: string) => {
  const { target } = await labOf(scenario);
  const ctx = createProbeContext({ ...target, stateDir, memoize: true });
  return runbook.detect!(ctx);
};

describe.each(diagnostics.map((r) => [r.meta.id, r] as const))("diagnostic %s in the lab", (id, runbook) => {
  it("finds something in a scenario named after it", async () => {
    const scenarios = scenariosOf(id);
    expect(scenarios, `add a lab scenario named ${id} (src/lab/scenarios/)`).not.toEqual([]);
    expect(runbook.detect, `${id} has no detect`).toBeTypeOf("function");
    const found: Array<[string, number]> = [];
    for (const s of scenarios) found.push([s, (await detect(runbook, s)).length]);
    expect(
      found.filter(([, n]) => n > 0).map(([s]) => s),
      `${id} finds nothing in ${scenarios.join(", ")}`,
    ).not.toEqual([]);
  }, 120_000);
});

it("finds nothing in the healthy lab, with any runbook", async () => {
  const found = [];
  for (const runbook of runbooks.filter((r) => r.detect)) found.push(...(await detect(runbook, "healthy")));
  expect(found.map((f) => `${f.runbook}: ${f.summary}`)).toEqual([]);
}, 120_000);
