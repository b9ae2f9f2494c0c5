/**
 * The runbook contract, statically (the lab half is test/integration/runbooks/contract.test.ts):
 * every declared refusal code is in the catalogue, once; every code the engine builds itself is
 * too; every runbook's meta is complete; docs are fresh (test/cli/docs-fresh.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runbooks } from "../../runbooks/index.js";
import { defineRunbook, isRefusalCode, REFUSALS } from "../../src/kit/index.js";
import { REFUSAL_DOMAINS } from "../../src/kit/refusals/index.js";
import { renderRunbookDoc } from "../../src/views/runbook-doc.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runbooks not yet on the kit (their codes are not in the catalogue yet): empty it as they move. */
const NOT_ON_KIT: string[] = [];

it("builds every runbook with the kit but those listed as not yet on it", () => {
  expect(runbooks.filter((r) => r.meta.kind === undefined).map((r) => r.meta.id)).toEqual(NOT_ON_KIT);
});

const onKit = runbooks.filter((r) => !NOT_ON_KIT.includes(r.meta.id));

describe.each(onKit.map((r) => [r.meta.id, r] as const))("runbook %s on the kit", (id, runbook) => {
  it("declares only refusal codes of the catalogue", () => {
    const codes = Object.keys(runbook.meta.refuses);
    expect(
      codes.filter((c) => !isRefusalCode(c)),
      `codes of ${id} missing from src/kit/refusals`,
    ).toEqual([]);
  });
});

it("registers every runbook file of runbooks/ under its file name (runbooks/registry.ts is generated)", () => {
  const files = fs
    .readdirSync(path.join(ROOT, "runbooks"))
    .filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "registry.ts")
    .map((f) => f.slice(0, -3));
  expect(runbooks.map((r) => r.meta.id).sort()).toEqual(files.sort());
});

it("gives two different checks two names across all runbooks (journals record checks by name)", () => {
  const byName = new Map<string, Set<unknown>>();
  for (const runbook of runbooks) {
    for (const [name, fn] of Object.entries(runbook.checks ?? {})) {
      byName.set(name, (byName.get(name) ?? new Set()).add(fn));
    }
  }
  expect([...byName].filter(([, fns]) => fns.size > 1).map(([name]) => name)).toEqual([]);
  expect(byName.has("node-quorate") && byName.has("back-in-quorum")).toBe(true);
});

describe.each(runbooks.map((r) => [r.meta.id, r] as const))("runbook %s", (_id, runbook) => {
  it("says what it changes and undoes (from its step builders) unless it is a diagnostic", () => {
    if (runbook.meta.kind === "diagnostic") {
      expect(runbook.meta.changes).toEqual([]);
      return;
    }
    expect(runbook.meta.changes.length).toBeGreaterThan(0);
    expect(runbook.meta.undoes.length).toBeGreaterThan(0);
    expect(runbook.examples.length, "an example per runbook").toBeGreaterThan(0);
  });
});

describe.each(runbooks.map((r) => [r.meta.id, r] as const))(
  "runbook %s's lab escape hatch",
  (id, runbook) => {
    it("declares lab-unreachable only decisions it has, each with why", () => {
      const decisions = ["nothing-to-do", ...Object.keys(runbook.meta.refuses)];
      const hatch = Object.entries(runbook.meta.labUnreachable ?? {});
      expect(
        hatch.filter(([code]) => !decisions.includes(code)).map(([code]) => code),
        id,
      ).toEqual([]);
      expect(
        hatch.filter(([, why]) => (why ?? "").trim() === "").map(([code]) => code),
        id,
      ).toEqual([]);
    });
  },
);

it("compiles labUnreachable only for codes the runbook declares, or nothing-to-do", () => {
  const meta = {
    id: "typed",
    summary: "s",
    description: "d",
    risk: "safe" as const,
    unattended: "never" as const,
    undo: "none" as const,
    checks: [],
    asks: [],
  };
  const rest = {
    params: z.object({}).strict(),
    examples: [],
    steps: [],
    probe: async () => null,
    decide: () => ({ kind: "nothing-to-do" as const, reason: "r" }),
  };
  const ok = defineRunbook({
    meta: {
      ...meta,
      refuses: { "guest-not-found": "no guest" },
      labUnreachable: { "guest-not-found": "why", "nothing-to-do": "why" },
    },
    ...rest,
  });
  expect(ok.meta.labUnreachable).toEqual({ "guest-not-found": "why", "nothing-to-do": "why" });
  const wrong = defineRunbook({
    meta: {
      ...meta,
      refuses: { "guest-not-found": "no guest" },
      // @ts-expect-error: task-holds-lock is not among the codes the runbook declares
      labUnreachable: { "task-holds-lock": "why" },
    },
    ...rest,
  });
  expect(Object.keys(wrong.meta.labUnreachable ?? {})).toEqual(["task-holds-lock"]);
});

it("lists a lab-unreachable decision in the runbook's docs, with why", () => {
  const stuck = runbooks.find((r) => r.meta.id === "stuck-lock")!;
  const meta = {
    ...stuck.meta,
    labUnreachable: { "lock-not-stale": "the lab mounts no CT rootfs", "nothing-to-do": "it always acts" },
  };
  const md = renderRunbookDoc({ ...stuck, meta }, "md");
  expect(md).toContain("lock-not-stale: ");
  expect(md).toContain("(no lab scenario: the lab mounts no CT rootfs)");
  expect(md).toContain("No lab scenario has nothing to do: it always acts");
  expect(renderRunbookDoc(stuck, "md")).not.toContain("no lab scenario");
});

describe("refusal catalogue", () => {
  it("holds each code in one domain file only", () => {
    const all = Object.values(REFUSAL_DOMAINS).flatMap((d) => Object.keys(d));
    expect(all.length).toBe(new Set(all).size);
    expect(new Set(all)).toEqual(new Set(Object.keys(REFUSALS)));
  });

  it("holds every code the engine builds itself, and gives the engine all its words", () => {
    const dir = path.join(ROOT, "src/engine");
    const sources = fs
      .readdirSync(dir, { recursive: true, encoding: "utf8" })
      // reachability.ts's codes say why a node did not answer, and params.ts's are zod issue
      // codes ("custom"): neither is a refusal.
      .filter(
        (f) =>
          f.endsWith(".ts") &&
          !path.basename(f).startsWith("reachability") &&
          path.basename(f) !== "params.ts",
      )
      .map((f) => ({ file: f, text: fs.readFileSync(path.join(dir, f), "utf8") }));
    const built = sources.flatMap(({ text }) =>
      [...text.matchAll(/engineRefusal\(\s*"([a-z-]+)"/g)].map((m) => m[1]!),
    );
    expect(built).toEqual(
      expect.arrayContaining([
        "stale-plan",
        "plan-mismatch",
        "file-changed",
        "probe-failed",
        "node-unreachable",
      ]),
    );
    expect(built.filter((c) => !isRefusalCode(c))).toEqual([]);
    // A refusal object written by hand (`code: "…", message: …`) would carry words of its own.
    const byHand = sources.filter(({ text }) => /code: "[a-z-]+"/.test(text)).map(({ file }) => file);
    expect(byHand, "build engine refusals with engineRefusal(code, data)").toEqual([]);
  });
});
