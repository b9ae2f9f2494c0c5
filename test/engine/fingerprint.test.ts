import { describe, expect, it } from "vitest";
import { canonicalJson, diffFacts, fingerprintFacts } from "../../src/engine/fingerprint.js";

describe("fingerprint", () => {
  it("hashes equal facts equally whatever the key order", () => {
    expect(fingerprintFacts({ a: 1, b: { c: [1, 2], d: null } })).toBe(
      fingerprintFacts({ b: { d: null, c: [1, 2] }, a: 1 }),
    );
    expect(canonicalJson({ b: 1, a: undefined })).toBe('{"b":1}');
  });

  it("changes when any relied-on fact changes", () => {
    expect(fingerprintFacts({ lock: "backup" })).not.toBe(fingerprintFacts({ lock: "migrate" }));
    expect(fingerprintFacts([1, 2])).not.toBe(fingerprintFacts([2, 1]));
  });

  it("names every changed path with the value before and after", () => {
    expect(
      diffFacts(
        { guest: { node: "pve1", lock: "backup" }, holders: [] },
        { guest: { node: "pve1", lock: null }, holders: [{ pid: 1 }] },
      ),
    ).toEqual(['guest.lock: "backup" → null', 'holders[0]: (absent) → {"pid":1}']);
    expect(diffFacts({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
