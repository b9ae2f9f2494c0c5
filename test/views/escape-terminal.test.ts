import { describe, expect, it } from "vitest";
import { escapeDeep, escapeTerminal } from "../../src/views/escape-terminal.js";

describe("escapeTerminal", () => {
  it("removes color and cursor sequences from remote output", () => {
    expect(escapeTerminal("\x1b[31mred\x1b[0m \x1b[2K\x1b[1Aup")).toBe("red up");
  });

  it("removes a title-setting OSC sequence whether it ends with BEL or ST", () => {
    expect(escapeTerminal("a\x1b]0;pwned\x07b\x1b]8;;http://x\x1b\\c")).toBe("abc");
  });

  it("removes 8-bit CSI and charset selection sequences", () => {
    expect(escapeTerminal("x\x9b31my\x1b(Bz")).toBe("xyz");
  });

  it("shows other control characters as visible \\xNN escapes", () => {
    expect(escapeTerminal("bell\x07 back\b cr\r del\x7f")).toBe("bell\\x07 back\\x08 cr\\x0d del\\x7f");
  });

  it("shows a lone escape character instead of passing it through", () => {
    expect(escapeTerminal("end\x1b")).toBe("end\\x1b");
  });

  it("keeps tabs and newlines and turns CRLF into LF", () => {
    expect(escapeTerminal("a\tb\r\nc\n")).toBe("a\tb\nc\n");
  });

  it("makes bidirectional overrides visible so a command cannot read differently from what runs", () => {
    expect(escapeTerminal("rm \u202efdp.txt")).toBe("rm \\u{202e}fdp.txt");
  });

  it("leaves ordinary text, UTF-8 and the symbols pvefix prints untouched", () => {
    const text = "✔ CT 100 — lock 'backup' · ü 日本";
    expect(escapeTerminal(text)).toBe(text);
  });
});

describe("escapeDeep", () => {
  it("escapes every string inside nested objects and arrays and keeps other values", () => {
    const value = { a: "\x1b[1mx", list: ["y\x07", 3, null], nested: { ok: true, s: "z" } };
    expect(escapeDeep(value)).toEqual({ a: "x", list: ["y\\x07", 3, null], nested: { ok: true, s: "z" } });
  });
});
