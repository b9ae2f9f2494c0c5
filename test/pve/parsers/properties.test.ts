/**
 * Property tests over every `pvefix parse` format (fast-check): any input gives a value its schema
 * accepts or a coded ParseError — never another exception. parse-time.test.ts checks that parsing
 * time grows linearly with the input (a file of its own, so the two run side by side).
 */
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError, type ParserFormat } from "../../../src/pve/parsers/format.js";
import { parserFormats } from "../../../src/pve/parsers/index.js";
import { parsePveReport } from "../../../src/pve/parsers/pvereport.js";

const dir = new URL("../../fixtures/", import.meta.url);
const fixtures = readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => readFileSync(new URL(e.name, dir), "utf8"));
const fixtureLines = [...new Set(fixtures.flatMap((t) => t.split("\n")))].filter((l) => l.length < 400);

// Every function the parser modules define: an error message must never send a user to one.
const sources = new URL("../../../src/pve/parsers/", import.meta.url);
const internalFunctions = readdirSync(sources).flatMap((file) =>
  [...readFileSync(new URL(file, sources), "utf8").matchAll(/function (\w+)/g)].map((m) => m[1] as string),
);

const report: ParserFormat = {
  name: "pvereport",
  description: "a whole pvereport",
  schema: { safeParse: () => ({ success: true }) } as unknown as ParserFormat["schema"],
  parse: (text) => parsePveReport(text, parserFormats),
};
const formats: ParserFormat[] = [...parserFormats, report];

/** A value the format's schema accepts, or a ParseError; anything else fails the property. */
function resultOrParseError(format: ParserFormat, text: string): void {
  let value: unknown;
  try {
    value = format.parse(text);
  } catch (e) {
    if (e instanceof ParseError && e.code === "PVEFIX_PARSE_ERROR") {
      for (const fn of internalFunctions) expect(e.message).not.toContain(`${fn}(`);
      return;
    }
    throw new Error(
      `${format.name} threw ${(e as Error)?.name}: ${(e as Error)?.message} on ${JSON.stringify(text)}`,
    );
  }
  expect(format.schema.safeParse(value).success).toBe(true);
}

// Lines from real outputs, stderr lines and noise, recombined: closer to broken pastes than random bytes.
const line = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...fixtureLines) },
  // Real lines whose numbers are beyond the safe integer range (zod refuses them with its own error).
  {
    weight: 1,
    arbitrary: fc.constantFrom(...fixtureLines).map((l) => l.replace(/\d+/g, "99999999999999999999")),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("storage 'x' is not online", "Cannot initialize CMAP service", ""),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
);
const paste = fc.array(line, { maxLength: 40 }).map((lines) => lines.join("\n"));
const mutatedFixture = fc
  .tuple(fc.constantFrom(...fixtures), fc.nat(), fc.nat(), line)
  .map(([text, cut, at, extra]) => {
    const lines = text.split("\n");
    const i = at % (lines.length + 1);
    return [...lines.slice(0, i), extra, ...lines.slice(i)].join("\n").slice(0, text.length - (cut % 40));
  });

describe.each(formats.map((f) => [f.name, f] as const))("%s", (_name, format) => {
  it("gives a value or a coded parse error for any paste", () => {
    fc.assert(
      fc.property(paste, (text) => resultOrParseError(format, text)),
      { numRuns: 150 },
    );
  });

  it("gives a value or a coded parse error for mutated real outputs", () => {
    fc.assert(
      fc.property(mutatedFixture, (text) => resultOrParseError(format, text)),
      { numRuns: 150 },
    );
  });

  it("handles empty and whitespace-only input without another exception", () => {
    for (const text of ["", "\n", "   \n\t\n"]) resultOrParseError(format, text);
  });
});
