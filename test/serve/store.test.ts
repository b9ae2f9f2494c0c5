import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { emptyPolicyState } from "../../src/serve/policy/state.js";
import { withFileLock } from "../../src/serve/store/file-lock.js";
import { FilePolicyStore } from "../../src/serve/store/state-dir.js";
import { tempStateDir } from "./helpers.js";

describe("the state-dir policy store", () => {
  it("loses no update when many come at once (group commit), and each caller gets its own result", async () => {
    const store = new FilePolicyStore(tempStateDir());
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        store.update((s) => {
          s.seen[`k${i}`] = i;
          return { state: s, result: Object.keys(s.seen).length };
        }),
      ),
    );
    expect(Object.keys((await store.read()).seen)).toHaveLength(200);
    expect(new Set(results).size).toBe(200);
  });

  it("an update that throws fails alone", async () => {
    const store = new FilePolicyStore(tempStateDir());
    const [a, b] = await Promise.allSettled([
      store.update(() => {
        throw new Error("no");
      }),
      store.update((s) => ({ state: { ...s, seen: { x: 1 } }, result: "ok" })),
    ]);
    expect(a.status).toBe("rejected");
    expect(b).toEqual({ status: "fulfilled", value: "ok" });
    expect((await store.read()).seen).toEqual({ x: 1 });
  });

  it("fails closed on a state file it cannot read instead of forgetting pauses", async () => {
    const dir = tempStateDir();
    fs.mkdirSync(path.join(dir, "serve"));
    fs.writeFileSync(
      path.join(dir, "serve", "policy.json"),
      JSON.stringify({ ...emptyPolicyState(), version: 7 }),
    );
    await expect(new FilePolicyStore(dir).read()).rejects.toThrow(/is not a pvefix policy state/);
  });

  it("the file lock takes over a lock whose owner process is gone, and waits for a live one", () => {
    const lock = path.join(tempStateDir(), "x.lock");
    fs.writeFileSync(lock, "999999999");
    expect(withFileLock(lock, () => "taken")).toBe("taken");
    expect(fs.existsSync(lock)).toBe(false);
    fs.writeFileSync(lock, String(process.pid));
    expect(() => withFileLock(lock, () => "never", 50)).toThrow(/could not lock .* within 50 ms/);
  });
});
