import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ProbeContext } from "../../src/engine/runbook.js";
import {
  defineCheck,
  defineDiagnostic,
  defineRunbook,
  defineStep,
  finding,
  refusal,
  refuse,
  renderFinding,
} from "../../src/kit/index.js";

const ctx = { nodes: ["pve1"], cluster: "lab", stateDir: null } as unknown as ProbeContext;

describe("refuse", () => {
  it("words a refusal from the catalogue, with the JSON shape { code, message, detail?, node? }", () => {
    expect(refuse("guest-not-found", { vmid: 105 })).toEqual({
      kind: "refusal",
      refusal: {
        code: "guest-not-found",
        message: "No guest 105 in the cluster",
        detail: "it is not in /etc/pve/.vmlist",
      },
    });
    expect(refusal("lock-not-stale", { guest: "CT 100", node: "pve2", lock: "mounted", vmid: 100 })).toEqual({
      code: "lock-not-stale",
      message: "CT 100 is mounted (lock: mounted)",
      detail: "run `pct unmount 100` on pve2 instead",
      node: "pve2",
    });
  });

  it("leaves node out when the data has none", () => {
    expect(refusal("probe-failed", { message: "m", detail: "d" })).toEqual({
      code: "probe-failed",
      message: "m",
      detail: "d",
    });
  });
});

describe("finding", () => {
  it("renders the next command with the one quoting function", () => {
    const f = finding({
      severity: "warning",
      summary: "s",
      verb: "run",
      params: { storage: "my store" },
      node: "pve1",
    });
    expect(renderFinding("hung-nfs", f).command).toBe("pvefix run hung-nfs --storage 'my store'");
    expect(renderFinding("hung-nfs", { ...f, unattended: true }).command).toBe(
      "pvefix run hung-nfs --storage 'my store' --unattended",
    );
    expect(renderFinding("zerotier-blacklist", { ...f, verb: "explain" })).toMatchObject({
      runbook: "zerotier-blacklist",
      command: "pvefix explain zerotier-blacklist",
      params: { storage: "my store" },
      node: "pve1",
    });
  });
});

describe("defineCheck", () => {
  const ran: unknown[] = [];
  const check = defineCheck("unit-up", z.object({ unit: z.string() }), async (_ctx, node, args) => {
    ran.push([node, args]);
    return { ok: true, detail: `${args.unit} up on ${node}` };
  });

  it("builds the Check data a step carries, its args parsed by the schema", () => {
    expect(check.at("pve1", "unit is up", { unit: "corosync" }, { waitMs: 5 })).toEqual({
      name: "unit-up",
      node: "pve1",
      description: "unit is up",
      args: { unit: "corosync" },
      waitMs: 5,
    });
  });

  it("parses the args again when it runs, and fails on args it does not know", async () => {
    const data = check.at("pve2", "d", { unit: "pvestatd" });
    expect(await check.fn(ctx, data)).toEqual({ ok: true, detail: "pvestatd up on pve2" });
    await expect(check.fn(ctx, { ...data, args: { unit: 3 } })).rejects.toThrow();
    expect(ran).toEqual([["pve2", { unit: "pvestatd" }]]);
  });
});

describe("defineRunbook", () => {
  const up = defineCheck("up", z.object({}), async () => ({ ok: true, detail: "" }));
  const poke = defineStep(
    { changes: ["pokes it"], undoes: ["unpokes it"], checks: [up] },
    (node: string) => ({
      id: "poke",
      title: "Poke",
      node,
      risk: "safe",
      reason: "r",
      actions: [{ kind: "exec", command: "true" }],
      undo: { kind: "none", reason: "nothing" },
      verify: [up.at(node, "up", {})],
    }),
  );
  const runbook = defineRunbook({
    meta: {
      id: "poke",
      summary: "s",
      description: "d",
      risk: "safe",
      unattended: "eligible",
      undo: "full",
      checks: [],
      asks: [],
      refuses: { "guest-not-found": "no such guest" },
    },
    params: z.object({ vmid: z.number() }),
    examples: [],
    steps: [poke],
    probe: async (_ctx, { vmid }) => vmid,
    decide: ({ vmid }, found) =>
      found === 0
        ? refuse("guest-not-found", { vmid })
        : { kind: "plan", plan: { summary: "s", steps: [poke("pve1")] } },
    async detect() {
      return [finding({ severity: "info", summary: "s", verb: "plan", params: { vmid: 1 } })];
    },
  });

  it("generates changes, undoes and checks from its step builders", () => {
    expect(runbook.meta).toMatchObject({ kind: "remedy", changes: ["pokes it"], undoes: ["unpokes it"] });
    expect(Object.keys(runbook.checks ?? {})).toEqual(["up"]);
  });

  it("adds the runbook id and the command to what detect finds", async () => {
    expect(await runbook.detect!(ctx)).toEqual([
      {
        runbook: "poke",
        params: { vmid: 1 },
        severity: "info",
        summary: "s",
        command: "pvefix plan poke --vmid 1",
      },
    ]);
  });
});

describe("defineDiagnostic", () => {
  const diag = defineDiagnostic({
    meta: { id: "link-check", summary: "s", description: "d", checks: ["links"] },
    detect: async () => [
      finding({ severity: "warning", summary: "link 1 flaps", verb: "explain", params: {} }),
    ],
  });

  it("plans nothing: it reports what it found and changes nothing", async () => {
    expect(diag.meta).toMatchObject({
      kind: "diagnostic",
      risk: "safe",
      changes: [],
      undoes: [],
      refuses: {},
    });
    const found = await diag.probe(ctx, {});
    expect(diag.decide({}, found)).toEqual({
      kind: "nothing-to-do",
      reason:
        "link-check changes nothing; it found 1 finding:\n- [warning] link 1 flaps — next: `pvefix explain link-check`",
    });
    expect(diag.decide({}, [])).toEqual({ kind: "nothing-to-do", reason: "link-check found nothing" });
    expect((await diag.detect!(ctx))[0]?.command).toBe("pvefix explain link-check");
  });
});
