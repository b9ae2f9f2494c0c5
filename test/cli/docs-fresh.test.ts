import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listOrder, runbooks } from "../../runbooks/index.js";
import { readmeWithTable, renderAllDocs, runbookRegistry, staleDocs } from "../../scripts/render-docs.js";
import type { AnyRunbook } from "../../src/engine/runbook.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("generated docs", () => {
  it("renders a page for every runbook, the runbook index, the CLI reference, README.md's runbook table and both registries", () => {
    const docs = renderAllDocs();
    expect([...docs.keys()].sort()).toEqual(
      [
        ...runbooks.map((r) => `docs/runbooks/${r.meta.id}.md`),
        "docs/runbooks/README.md",
        "docs/cli.md",
        "src/lab/scenarios/registry.ts",
        "runbooks/registry.ts",
        "README.md",
      ].sort(),
    );
  });

  it("match the committed docs/ byte for byte (run `npm run docs` after changing a runbook or a command)", () => {
    const stale = staleDocs(ROOT, renderAllDocs());
    expect(stale, "docs out of date: run `npm run docs` and commit the result").toEqual([]);
  });

  it("call the runbook registry and README.md stale when a runbook file is missing from them", () => {
    const withNew = runbookRegistry([...fs.readdirSync(path.join(ROOT, "runbooks")), "zz-new-thing.ts"]);
    expect(withNew).toContain('import zzNewThing from "./zz-new-thing.js";');
    expect(withNew).toContain("  zzNewThing,\n];");
    const docs = renderAllDocs();
    docs.set("runbooks/registry.ts", withNew);
    const readme = docs.get("README.md")!;
    docs.set(
      "README.md",
      readme.replace(
        "| [stuck-lock]",
        "| [zz-new-thing](docs/runbooks/zz-new-thing.md) | x | safe | eligible |\n| [stuck-lock]",
      ),
    );
    expect(staleDocs(ROOT, docs)).toEqual(["runbooks/registry.ts", "README.md"]);
  });

  it("rewrites only README.md's table between its markers, and says when the markers are missing", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const begin = readme.indexOf("<!-- runbooks:begin");
    const end = readme.indexOf("<!-- runbooks:end -->");
    const edited = `${readme.slice(0, begin)}${readme.slice(begin, end).replace("| safe |", "| dangerous |")}${readme.slice(end)}`;
    expect(edited).not.toBe(readme);
    expect(readmeWithTable(edited)).toBe(readme);
    expect(() => readmeWithTable("# pvefix\n")).toThrow(/runbooks:begin .* runbooks:end/);
  });
});

describe("pvefix list order", () => {
  it("keeps the six first runbooks in their order: safest first, then by id", () => {
    const six = [
      "stuck-lock",
      "hung-nfs",
      "zerotier-blacklist",
      "ha-replication-mismatch",
      "not-quorate-config",
      "restart-pve-services",
    ];
    expect(runbooks.map((r) => r.meta.id).filter((id) => six.includes(id))).toEqual(six);
  });

  it("puts a new runbook by its declared risk, a diagnostic before the remedies of its risk", () => {
    const fake = (id: string, risk: AnyRunbook["meta"]["risk"], kind?: "diagnostic") =>
      ({ meta: { id, risk, ...(kind ? { kind } : {}) } }) as AnyRunbook;
    const ordered = [
      fake("zfs-replication-divergence", "dangerous"),
      fake("two-node-qdevice", "guarded"),
      fake("corosync-links", "safe", "diagnostic"),
      fake("a-safe-fix", "safe"),
      fake("b-risky", "dangerous"),
    ]
      .sort(listOrder)
      .map((r) => r.meta.id);
    expect(ordered).toEqual([
      "corosync-links",
      "a-safe-fix",
      "two-node-qdevice",
      "b-risky",
      "zfs-replication-divergence",
    ]);
  });
});
