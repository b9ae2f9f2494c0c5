import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderParsed } from "../../src/views/parsed.js";

const value = { quorate: true, nodes: [{ name: "pve1", votes: 1 }], ringId: "1.2f" };

describe("renderParsed", () => {
  it("renders pretty JSON that parses back to the value", () => {
    const json = renderParsed(value, "json");
    expect(json).toContain('\n  "quorate": true');
    expect(JSON.parse(json)).toEqual(value);
  });

  it("renders text as YAML that parses back to the value", () => {
    const text = renderParsed(value, "text");
    expect(text).toMatchInlineSnapshot(`
      "quorate: true
      nodes:
        - name: pve1
          votes: 1
      ringId: 1.2f"
    `);
    expect(parse(text)).toEqual(value);
  });

  it("escapes terminal sequences from pasted output in the YAML", () => {
    expect(renderParsed({ name: "pve\x1b[31m1" }, "text")).toBe("name: pve1");
  });
});
