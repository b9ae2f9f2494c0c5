/**
 * Layers import downwards only (docs/architecture.md, "Layers"): a wrong import fails here naming
 * the file, the import and the rule, before it becomes a folder cycle.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  importsOf,
  LAYER_PATHS,
  type Layer,
  MAY_IMPORT,
  ROOT,
  sourceFiles,
  staticClosure,
  violations,
} from "./layers.js";

const files = [...sourceFiles(path.join(ROOT, "src")), ...sourceFiles(path.join(ROOT, "runbooks"))];

describe("import direction", () => {
  it("finds the imports it checks", () => {
    // A parser that found nothing would pass every rule.
    const all = files.flatMap(importsOf);
    expect(all.length).toBeGreaterThan(500);
    expect(all).toContainEqual(
      expect.objectContaining({
        from: "src/index.ts",
        target: "src/transport/ssh/index.ts",
        dynamic: true,
      }),
    );
  });

  it("every import goes the allowed way", () => {
    expect(violations(files)).toEqual([]);
  });

  it("names the file and the import of a wrong one", () => {
    const dir = fs.mkdtempSync(path.join(ROOT, "src/engine/.import-direction-"));
    try {
      const file = path.join(dir, "wrong.ts");
      fs.writeFileSync(file, 'import { runbooks } from "../../../runbooks/index.js";\n');
      const rel = path.relative(ROOT, file);
      expect(violations([file])).toEqual([
        `${rel} imports "../../../runbooks/index.js": engine may not import runbooks (it may import errors, shell, transport)`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has no cycle between layers", () => {
    const layers = Object.keys(MAY_IMPORT) as Layer[];
    const reaches = (from: Layer, to: Layer, seen: Set<Layer>): boolean => {
      for (const next of MAY_IMPORT[from]) {
        if (next === to) return true;
        if (seen.has(next)) continue;
        seen.add(next);
        if (reaches(next, to, seen)) return true;
      }
      return false;
    };
    expect(layers.filter((l) => reaches(l, l, new Set()))).toEqual([]);
  });

  it("is the table docs/architecture.md shows", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs/architecture.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Layers"));
    const rows = new Map<string, string>();
    for (const line of section.split("\n")) {
      const cells = line.split("|").map((c) => c.trim());
      const layer = /^`([^`]+)` \(`([^`]+)`\)$/.exec(cells[1] ?? "");
      if (layer) rows.set(`${layer[1]} ${layer[2]}`, cells[2] ?? "");
    }
    const expected = new Map(
      (Object.keys(MAY_IMPORT) as Layer[]).map((l) => [
        `${l} ${LAYER_PATHS[l]}`,
        MAY_IMPORT[l].map((m) => `\`${m}\``).join(", ") || "—",
      ]),
    );
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
  });
});

describe("the CLI's startup", () => {
  it("loads the SSH transport and the lab only for the commands that use them", () => {
    const loaded = staticClosure("src/cli/main.ts");
    expect(loaded.get("src/cli/program.ts")).toBe("src/cli/main.ts");
    const eager = [...loaded]
      .filter(
        ([file, by]) =>
          /^src\/(transport\/ssh|lab)\//.test(file) && !/^src\/(transport\/ssh|lab)\//.test(by ?? ""),
      )
      .map(([file, by]) => `${by} imports ${file} statically`);
    expect(eager).toEqual([]);
    // The front door loads the whole engine: `pvefix --version` and `--help` must not pay for it.
    expect(loaded.has("src/index.ts")).toBe(false);
  });

  it("reaches the engine, transports and inventories through src/index.ts once past startup", () => {
    const startup = staticClosure("src/cli/main.ts");
    const deep = files
      .flatMap(importsOf)
      .filter((i) => i.from.startsWith("src/cli/") && !startup.has(i.from))
      .filter((i) => /^src\/(engine|transport|inventory)\//.test(i.target))
      .map((i) => `${i.from} imports "${i.specifier}": use src/index.ts`);
    expect(deep).toEqual([]);
  });
});
