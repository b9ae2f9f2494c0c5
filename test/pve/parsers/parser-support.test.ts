import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { fromHex, isTrue, splitLines, toInt, validated } from "../../../src/pve/parsers/parser-support.js";

describe("splitLines", () => {
  it("drops the empty string after a final newline and carriage returns of pasted text", () => {
    expect(splitLines("a\r\nb\r\n")).toEqual(["a", "b"]);
    expect(splitLines("a\n\nb")).toEqual(["a", "", "b"]);
    expect(splitLines("")).toEqual([]);
  });
});

describe("validated", () => {
  it("reports a schema mismatch as a ParseError naming the field", () => {
    expect(() => validated("x", z.object({ a: z.number() }), { a: "1" }, 4)).toThrowError(
      expect.objectContaining({
        name: "ParseError",
        format: "x",
        line: 4,
        message: expect.stringContaining("at a"),
      }),
    );
  });
});

describe("isTrue / toInt / fromHex", () => {
  it("accepts PVE's boolean spellings", () => {
    expect(["1", "on", "YES", "true"].every((v) => isTrue(v))).toBe(true);
    expect(["0", "off", "no", undefined].some((v) => isTrue(v))).toBe(false);
  });

  it("refuses numbers that are not numbers", () => {
    expect(toInt("x", "vmid", "100")).toBe(100);
    expect(() => toInt("x", "vmid", "1e2")).toThrow(ParseError);
    expect(fromHex("x", "pid", "00FF")).toBe(255);
    expect(() => fromHex("x", "pid", "0x1")).toThrow(ParseError);
  });
});
