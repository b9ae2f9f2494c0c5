/**
 * Every error class pvefix exports is a PvefixError with a code and an exit code, and the one
 * outcome table covers exactly the engine's outcomes and diagnosis statuses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RunOutcome } from "../../src/engine/model.js";
import { DIAGNOSE_EXIT, EXIT, OUTCOME_EXIT } from "../../src/errors/exit-codes.js";
import { PvefixError } from "../../src/errors/pvefix-error.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Every exported class of src/ that is an Error, with the file it is declared in. */
async function exportedErrorClasses(): Promise<
  Array<{ file: string; name: string; cls: abstract new (...args: never) => unknown }>
> {
  const found: Array<{ file: string; name: string; cls: abstract new (...args: never) => unknown }> = [];
  for (const file of sourceFiles(path.join(ROOT, "src"))) {
    const text = fs.readFileSync(file, "utf8");
    const names = [...text.matchAll(/^export (?:abstract )?class (\w+)/gm)].map((m) => m[1] as string);
    if (names.length === 0) continue;
    const mod = (await import(file)) as Record<string, unknown>;
    for (const name of names) {
      const cls = mod[name] as (abstract new (...args: never) => unknown) | undefined;
      if (typeof cls === "function" && cls.prototype instanceof Error) {
        found.push({ file: path.relative(ROOT, file), name, cls });
      }
    }
  }
  return found;
}

describe("one error base", () => {
  it("every exported error class extends PvefixError", async () => {
    const classes = await exportedErrorClasses();
    // The classes this test was written against; more may come, none may fall out unnoticed.
    const names = classes.map((c) => c.name);
    for (const known of ["EngineError", "TransportError", "LabError", "InventoryError", "ParseError"]) {
      expect(names).toContain(known);
    }
    const strays = classes
      .filter((c) => c.cls !== PvefixError && !(c.cls.prototype instanceof PvefixError))
      .map((c) => `${c.file}: ${c.name}`);
    expect(strays).toEqual([]);
  });

  it("no class in src/ extends Error directly but the base", () => {
    const direct = sourceFiles(path.join(ROOT, "src")).flatMap((file) =>
      [...fs.readFileSync(file, "utf8").matchAll(/class (\w+) extends Error\b/g)].map(
        (m) => `${path.relative(ROOT, file)}: ${m[1]}`,
      ),
    );
    expect(direct).toEqual(["src/errors/pvefix-error.ts: PvefixError"]);
  });

  it("every instance carries a PVEFIX_ code and an exit code from the table", async () => {
    const { EngineError, InputError, JournalWriteError } = await import("../../src/engine/errors.js");
    const { TransportError } = await import("../../src/transport/errors.js");
    const { LabError } = await import("../../src/lab/errors.js");
    const { InventoryError } = await import("../../src/inventory/load.js");
    const { ParseError } = await import("../../src/pve/parsers/format.js");
    const { GlobalOptionError } = await import("../../src/cli/global-options.js");
    const { ProbeError } = await import("../../src/engine/probe-context.js");
    const samples: Array<[PvefixError, number]> = [
      [new EngineError("PVEFIX_LOCKED", "locked"), EXIT.refused],
      [new EngineError("PVEFIX_NOTHING_TO_UNDO", "nothing"), EXIT.ok],
      [new EngineError("PVEFIX_STATE_WRITE", "full"), EXIT.manual],
      [new InputError([{ field: "--vmid", message: "Expected a number" }]), EXIT.badInput],
      [new JournalWriteError("/x.jsonl", new Error("ENOSPC")), EXIT.manual],
      [new TransportError("PVEFIX_HOST_KEY_CHANGED", "pve1", "changed"), EXIT.refused],
      [new TransportError("PVEFIX_CONNECT_FAILED", "pve1", "refused"), EXIT.failed],
      [new LabError("PVEFIX_LAB_BAD_STATE", "bad"), EXIT.badInput],
      [new LabError("PVEFIX_LAB_LOCK_TIMEOUT", "locked"), EXIT.refused],
      [new InventoryError("inv.yaml", ["nodes: Required"]), EXIT.badInput],
      [new ParseError("pvecm-status", "no Quorate line"), EXIT.badInput],
      [new GlobalOptionError("--output: expected text, json or md"), EXIT.badInput],
      [new ProbeError("no answer", "pve1"), EXIT.failed],
    ];
    for (const [error, exitCode] of samples) {
      expect(error).toBeInstanceOf(PvefixError);
      expect(error.code).toMatch(/^PVEFIX_[A-Z_]+$/);
      expect({ name: error.name, exitCode: error.exitCode }).toEqual({ name: error.name, exitCode });
    }
    // The engine's next step is the hint, printed under the message.
    expect(new EngineError("PVEFIX_LOCKED", "locked", "wait").describe()).toBe("locked\n  wait");
    expect(new ProbeError("no answer", "pve1").internal).toBe(true);
  });
});

describe("one exit code table", () => {
  it("names every run outcome and nothing else", () => {
    expect(Object.keys(OUTCOME_EXIT).sort()).toEqual([...RunOutcome.options].sort());
  });

  it("keeps design.md's numbers", () => {
    expect(OUTCOME_EXIT).toEqual({
      done: 0,
      "nothing-to-do": 0,
      undone: 0,
      "failed-rolled-back": 1,
      declined: 1,
      refused: 3,
      "needs-human": 4,
      "rollback-incomplete": 5,
      interrupted: 5,
    });
    expect(DIAGNOSE_EXIT).toEqual({ clear: 0, findings: 10, critical: 11, incomplete: 12 });
  });
});

describe("the CLI asks the error", () => {
  it("prints a coded error's own words and ends with its exit code", async () => {
    const { describeError, exitCodeForError } = await import("../../src/cli/exit-codes.js");
    const { errorCode } = await import("../../src/cli/output.js");
    const { LabError } = await import("../../src/lab/errors.js");
    const { ParseError } = await import("../../src/pve/parsers/format.js");
    const lab = new LabError(
      "PVEFIX_LAB_BAD_STATE",
      "/s/lab/state.json is not a valid lab state (run `pvefix lab reset`)",
    );
    expect([describeError(lab), exitCodeForError(lab), errorCode(lab)]).toEqual([
      "/s/lab/state.json is not a valid lab state (run `pvefix lab reset`)",
      2,
      "PVEFIX_LAB_BAD_STATE",
    ]);
    const parse = new ParseError("pvecm-status", "no Quorate line", 3);
    expect([describeError(parse), exitCodeForError(parse)]).toEqual([
      "✖ pvecm-status: line 3: no Quorate line",
      2,
    ]);
  });

  it("reports an internal error that got this far as a bug, as before", async () => {
    const { describeError, exitCodeForError } = await import("../../src/cli/exit-codes.js");
    const { errorCode } = await import("../../src/cli/output.js");
    const { ProbeError } = await import("../../src/engine/probe-context.js");
    const probe = new ProbeError("no answer", "pve1");
    expect(describeError(probe)).toMatch(/^✖ Internal error: this is a bug in pvefix/);
    expect([exitCodeForError(probe), errorCode(probe)]).toEqual([1, "PVEFIX_INTERNAL"]);
  });
});
