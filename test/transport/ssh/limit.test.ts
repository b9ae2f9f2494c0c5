import { describe, expect, it } from "vitest";
import { Limit } from "../../../src/transport/ssh/limit.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("Limit", () => {
  it("lets at most `size` holders run and starts waiters in arrival order", async () => {
    const limit = new Limit(2);
    const order: string[] = [];
    const releases = await Promise.all([limit.acquire(), limit.acquire()]);
    const third = limit.acquire().then((release) => {
      order.push("third");
      return release;
    });
    const fourth = limit.acquire().then((release) => {
      order.push("fourth");
      return release;
    });
    await tick();
    expect(order).toEqual([]);
    expect(limit.queued).toBe(2);
    releases[0]!();
    releases[0]!(); // a second release of the same slot changes nothing
    await tick();
    expect(order).toEqual(["third"]);
    expect(limit.inUse).toBe(2);
    releases[1]!();
    (await third)();
    (await fourth)();
    expect(limit.inUse).toBe(0);
    expect(order).toEqual(["third", "fourth"]);
  });

  it("releases the slot when the function given to run() throws", async () => {
    const limit = new Limit(1);
    await expect(limit.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(limit.inUse).toBe(0);
  });

  it("rejects a size that is not a positive integer, naming the value", () => {
    expect(() => new Limit(0)).toThrow("Expected the limit to be a positive integer, got `0` (number)");
  });
});
