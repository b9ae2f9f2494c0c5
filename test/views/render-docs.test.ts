import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runbooks } from "../../runbooks/index.js";
import { DOCS_DIR, renderAllDocs, staleDocs } from "../../scripts/render-docs.js";
import { renderRunbookDoc } from "../../src/views/runbook-doc.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function checkout(files: Map<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-docs-"));
  dirs.push(root);
  fs.mkdirSync(path.join(root, DOCS_DIR), { recursive: true });
  for (const [file, content] of files) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe("renderAllDocs", () => {
  it("renders one page per runbook, the same as `explain -o md`, an index linking each page, and the CLI reference", () => {
    const docs = renderAllDocs();
    expect([...docs.keys()]).toEqual([
      ...runbooks.map((r) => `${DOCS_DIR}/${r.meta.id}.md`),
      `${DOCS_DIR}/README.md`,
      "docs/cli.md",
      "src/lab/scenarios/registry.ts",
      "runbooks/registry.ts",
      "README.md",
    ]);
    for (const r of runbooks)
      expect(docs.get(`${DOCS_DIR}/${r.meta.id}.md`)).toBe(`${renderRunbookDoc(r, "md")}\n`);
    const index = docs.get(`${DOCS_DIR}/README.md`)!;
    for (const r of runbooks) expect(index).toContain(`[\`${r.meta.id}\`](${r.meta.id}.md)`);
  });
});

describe("staleDocs", () => {
  it("finds nothing when the committed pages match a fresh render", () => {
    const docs = renderAllDocs();
    expect(staleDocs(checkout(docs), docs)).toEqual([]);
  });

  it("lists pages that differ, pages that are missing and pages no runbook generates", () => {
    const docs = renderAllDocs();
    const [first, second] = [...docs.keys()];
    const committed = new Map(docs);
    committed.set(first!, "edited by hand\n");
    committed.delete(second!);
    committed.set(`${DOCS_DIR}/removed-runbook.md`, "# removed-runbook\n");
    expect(staleDocs(checkout(committed), docs)).toEqual([first, second, `${DOCS_DIR}/removed-runbook.md`]);
  });
});
