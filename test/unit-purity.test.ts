/**
 * The unit project stays pure and fast: none of its files starts a program or loads dist/. A test that
 * must do either belongs to the integration project (test/projects.ts says how).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PROCESS_TEST_SUFFIX, PROCESS_TESTS } from "./projects.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const unitFiles = filesUnder(join(ROOT, "test"))
  .map((f) => relative(ROOT, f))
  .filter((f) => f.endsWith(".ts") && !f.startsWith("test/integration/") && !f.startsWith("test/system/"))
  .filter((f) => !f.endsWith(PROCESS_TEST_SUFFIX) && !(PROCESS_TESTS as readonly string[]).includes(f));

const IMPURE = [
  { what: "a child process", pattern: /from "node:child_process"/ },
  { what: "the built code in dist/", pattern: /["'`][./]*dist\// },
  { what: "a transport that starts processes", pattern: /\bLocalTransport\b/ },
];

describe("the unit project", () => {
  it("finds its files", () => {
    expect(unitFiles).toContain("test/unit-purity.test.ts");
  });

  it("starts no program and loads nothing from dist/", () => {
    const impure = unitFiles.flatMap((file) => {
      if (file === "test/unit-purity.test.ts") return []; // its patterns name what they look for
      const text = readFileSync(join(ROOT, file), "utf8");
      return IMPURE.filter((i) => i.pattern.test(text)).map((i) => `${file}: ${i.what}`);
    });
    expect(impure, `move these to the integration project (test/projects.ts)`).toEqual([]);
  });
});
