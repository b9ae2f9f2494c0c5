import { describe, expect, it } from "vitest";
import { BeatHealth } from "../../src/serve/fleet/fleet.js";

describe("when a worker may take others' runs over", () => {
  it("only after a whole takeover period of beats without a gap, from its start", () => {
    const h = new BeatHealth(1_000);
    expect(h.mayTakeOver(4_999, 4_000)).toBe(false);
    expect(h.mayTakeOver(5_000, 4_000)).toBe(true);
  });

  it("a failed beat stops it; after the database is back it waits a whole period again", () => {
    const h = new BeatHealth(0);
    expect(h.fail()).toBe(true);
    expect(h.fail()).toBe(false);
    expect(h.mayTakeOver(100_000, 4_000)).toBe(false);
    expect(h.beat(100_000)).toBe(true);
    expect(h.beat(101_000)).toBe(false);
    expect(h.mayTakeOver(103_999, 4_000)).toBe(false);
    expect(h.mayTakeOver(104_000, 4_000)).toBe(true);
  });
});
