/**
 * Printed-back flags and parsed flags agree: for every runbook and every list-valued parameter,
 * the command line pvefix prints for a parsed value parses back, through the same commander
 * declarations, to the same value. A single-valued flag given twice is refused.
 */
import { Command } from "commander";
import { parse as shellSplit } from "shell-quote";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runbooks } from "../../runbooks/index.js";
import { addRunbookFlags, listParams, rawParams } from "../../src/cli/runbook-flags.js";
import { flagName, paramFlags, parseParams } from "../../src/engine/params.js";
import type { AnyRunbook } from "../../src/engine/runbook.js";

/** Parse `argv` as `pvefix plan <runbook> argv…` does, up to the runbook's validated params. */
function parseFlags(runbook: AnyRunbook, argv: string[]): Record<string, unknown> {
  let opts: Record<string, unknown> = {};
  const command = addRunbookFlags(new Command(runbook.meta.id), runbook)
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .action((o: Record<string, unknown>) => {
      opts = o;
    });
  command.parse(argv, { from: "user" });
  return parseParams(runbook, rawParams(runbook, opts));
}

/** Two valid items for a list parameter: the first two allowed values, or two node names. */
function twoItems(runbook: AnyRunbook, key: string): string[] {
  const out = z.toJSONSchema(runbook.params, { io: "output", unrepresentable: "any" }) as {
    properties: Record<string, { items?: { enum?: string[] } }>;
  };
  const addrs = key === "addr" ? ["pve2=10.10.11.2", "pve3=10.10.11.3"] : ["pve2", "pve3"];
  return out.properties[key]?.items?.enum?.slice(0, 2) ?? addrs;
}

const withLists = runbooks.filter((r) => listParams(r).size > 0);

describe("list flags round-trip between print-back and parsing", () => {
  it("finds the list parameters (guards the round trip below against testing nothing)", () => {
    expect(withLists.map((r) => [r.meta.id, [...listParams(r)]])).toEqual([
      ["not-quorate-config", ["nodesDown"]],
      ["restart-pve-services", ["node", "services"]],
      ["cluster-network", ["addr"]],
    ]);
  });

  for (const runbook of withLists) {
    for (const key of listParams(runbook)) {
      it(`${runbook.meta.id} --${key}: printed back, then parsed, gives the same list`, () => {
        const example = runbook.examples.find((e) => key in e.params) ?? runbook.examples[0];
        const base = { ...(example?.params ?? {}) } as Record<string, unknown>;
        const items = twoItems(runbook, key);
        const parsed = parseParams(runbook, { ...base, [key]: items.join(",") });
        expect(parsed[key]).toEqual(items);
        const words = shellSplit(paramFlags(parsed).join(" ")).map(String);
        expect(parseFlags(runbook, words)).toEqual(parsed);
        // The flag also takes repeats as one list.
        const flag = flagName(key);
        const others = words.filter((w, i) => w !== flag && words[i - 1] !== flag);
        const repeated = [...others, ...items.flatMap((v) => [flag, v])];
        expect(parseFlags(runbook, repeated)[key]).toEqual(items);
      });
    }
  }
});

describe("single-valued flags", () => {
  it("refuses one given twice instead of keeping the last", () => {
    const stuckLock = runbooks.find((r) => r.meta.id === "stuck-lock")!;
    expect(() => parseFlags(stuckLock, ["--vmid", "100", "--vmid", "200"])).toThrow(
      /--vmid was given twice \("100" and "200"\)/,
    );
    expect(parseFlags(stuckLock, ["--vmid", "100"])).toEqual({ vmid: 100 });
  });

  it("names a missing required flag and what it takes", () => {
    const stuckLock = runbooks.find((r) => r.meta.id === "stuck-lock")!;
    expect(() => parseParams(stuckLock, {})).toThrow(
      "✖ Missing required flag --vmid: Guest id (CT or VM) whose lock to remove\n  → at --vmid",
    );
  });
});
