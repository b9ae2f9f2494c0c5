import { describe, expect, it } from "vitest";
import { decodePveText, encodePveText } from "../../../src/pve/parsers/pve-text.js";

describe("decodePveText", () => {
  it("decodes URI escapes as UTF-8", () => {
    expect(decodePveText("Web%3A prod %C3%BCber")).toBe("Web: prod über");
  });

  it("leaves a percent sign that starts no escape, as older PVE wrote it", () => {
    expect(decodePveText("100% done")).toBe("100% done");
  });
});

describe("encodePveText", () => {
  it("escapes colon, percent, control and non-ASCII characters with upper-case hex", () => {
    expect(encodePveText("a:b 50% ü\t")).toBe("a%3Ab 50%25 %C3%BC%09");
  });

  it("round-trips through decodePveText", () => {
    const text = "DR copy: nightly – 100%";
    expect(decodePveText(encodePveText(text))).toBe(text);
  });
});
