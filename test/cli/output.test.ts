import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { errorDocument, OUTPUT_SCHEMA_VERSION, wantsJson, withEnvelope } from "../../src/cli/output.js";
import { EngineError, InputError } from "../../src/engine/errors.js";
import { InventoryError } from "../../src/inventory/load.js";

const NOW = new Date("2026-12-05T01:00:00.000Z");

describe("the envelope of machine-readable output", () => {
  it("puts schemaVersion, generatedAt and cluster first in a JSON document and keeps its fields", () => {
    const out = JSON.parse(
      withEnvelope(JSON.stringify({ runId: "r", outcome: "done" }), "json", { cluster: "lab", now: NOW }),
    );
    expect(Object.keys(out)).toEqual(["schemaVersion", "generatedAt", "cluster", "runId", "outcome"]);
    expect(out).toMatchObject({
      schemaVersion: OUTPUT_SCHEMA_VERSION,
      generatedAt: NOW.toISOString(),
      cluster: "lab",
    });
  });

  it("leaves the cluster out where there is none, and closes Markdown with the same facts", () => {
    expect(JSON.parse(withEnvelope("{}", "json", { now: NOW }))).toEqual({
      schemaVersion: 1,
      generatedAt: NOW.toISOString(),
    });
    expect(withEnvelope("# Plan", "md", { cluster: "prod", now: NOW })).toBe(
      `# Plan\n\n---\n\n<sub>pvefix output schema 1 · generated ${NOW.toISOString()} · cluster prod</sub>`,
    );
    expect(withEnvelope("plain", "text", { cluster: "prod", now: NOW })).toBe("plain");
  });
});

describe("the JSON document of an error", () => {
  const doc = (error: unknown) => JSON.parse(errorDocument(error, NOW));

  it("carries the code, the message without its symbol, the detail and the exit code", () => {
    expect(
      doc(new InputError([{ field: "--vmid", message: "Missing required flag --vmid: Guest id" }])),
    ).toEqual({
      schemaVersion: 1,
      generatedAt: NOW.toISOString(),
      kind: "error",
      exitCode: 2,
      error: {
        code: "PVEFIX_BAD_INPUT",
        message: "Missing required flag --vmid: Guest id",
        detail: "→ at --vmid",
      },
    });
    expect(doc(new InventoryError("inv.yaml", ["nodes[0].host (node pve1): a host name"]))).toMatchObject({
      exitCode: 2,
      error: { code: "PVEFIX_BAD_INVENTORY", message: "inv.yaml: nodes[0].host (node pve1): a host name" },
    });
  });

  it("reports nothing to undo as its own kind with exit 0, and a bug as an internal error with exit 1", () => {
    expect(
      doc(new EngineError("PVEFIX_NOTHING_TO_UNDO", "Nothing to undo: run r left no change in place")),
    ).toMatchObject({
      kind: "nothing-to-undo",
      exitCode: 0,
      error: { code: "PVEFIX_NOTHING_TO_UNDO" },
    });
    expect(doc(new TypeError("x is undefined"))).toMatchObject({
      kind: "error",
      exitCode: 1,
      error: { code: "PVEFIX_INTERNAL", message: expect.stringContaining("Internal error") },
    });
  });

  it("turns a usage error into exit 2 with commander's message", () => {
    const usage = new CommanderError(1, "commander.unknownOption", "error: unknown option '--vmdi'");
    expect(doc(usage)).toMatchObject({
      exitCode: 2,
      error: { code: "PVEFIX_USAGE", message: "unknown option '--vmdi'" },
    });
  });

  it("knows -o json in every spelling commander accepts, and stops at --", () => {
    expect(wantsJson(["node", "pvefix", "-o", "json", "runs"])).toBe(true);
    expect(wantsJson(["node", "pvefix", "runs", "--output=json"])).toBe(true);
    expect(wantsJson(["node", "pvefix", "runs", "-ojson"])).toBe(true);
    expect(wantsJson(["node", "pvefix", "runs", "-o", "md"])).toBe(false);
    expect(wantsJson(["node", "pvefix", "lab", "exec", "pve1", "--", "x", "-o", "json"])).toBe(false);
  });
});
