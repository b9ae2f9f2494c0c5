/**
 * A lab whose state.json is broken is bad input with its own way out (`pvefix lab reset`), not a
 * bug in pvefix: the CLI prints the LabError's advice and ends with exit 2.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { cliSession, json } from "./pvefix.js";

const cli = cliSession();
const stateFile = () => path.join(cli.stateDir, "lab", "state.json");

beforeEach(async () => {
  expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
  expect(fs.existsSync(stateFile())).toBe(true);
});

describe("a broken lab state.json", () => {
  it.each([
    ["truncated JSON", '{"nodes": ['],
    ["valid JSON of the wrong shape", '{"nodes": 42}'],
  ])("(%s) prints the lab's advice and exits 2", async (_what, content) => {
    fs.writeFileSync(stateFile(), content);
    const result = await cli.pvefix(["diagnose", "--lab"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${stateFile()} is not a valid lab state (run \`pvefix lab reset\`)`);
    expect(result.stderr).not.toContain("Internal error");
  });

  it("gives scripts the lab's code under -o json", async () => {
    fs.writeFileSync(stateFile(), "not json");
    const result = await cli.pvefix(["plan", "stuck-lock", "--vmid", "100", "--lab", "-o", "json"]);
    expect(result.code).toBe(2);
    expect(json(result)).toMatchObject({
      kind: "error",
      exitCode: 2,
      error: {
        code: "PVEFIX_LAB_BAD_STATE",
        message: `${stateFile()} is not a valid lab state (run \`pvefix lab reset\`)`,
      },
    });
  });
});
