import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runbooks } from "../../runbooks/index.js";
import { renderAllDocs, staleDocs } from "../../scripts/render-docs.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("generated docs", () => {
  it("renders a page for every runbook, the runbook index, the CLI reference and the lab scenario registry", () => {
    const docs = renderAllDocs();
    expect([...docs.keys()].sort()).toEqual(
      [
        ...runbooks.map((r) => `docs/runbooks/${r.meta.id}.md`),
        "docs/runbooks/README.md",
        "docs/cli.md",
        "src/lab/scenarios/registry.ts",
      ].sort(),
    );
  });

  it("match the committed docs/ byte for byte (run `npm run docs` after changing a runbook or a command)", () => {
    const stale = staleDocs(ROOT, renderAllDocs());
    expect(stale, "docs out of date: run `npm run docs` and commit the result").toEqual([]);
  });
});
