import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cacheFlavor, defaultCacheDir } from "../../src/cli/code-cache.js";

// V8 keeps compiled scripts in memory per process and would answer a second load from there:
// every load runs in a fresh Node process, as pvefix does. It loads the built module (npm test builds first).
const BUILT = fileURLToPath(new URL("../../dist/src/cli/code-cache.js", import.meta.url));

let dir: string;
let bundle: string;
let cacheDir: string;

beforeAll(() => {
  if (!existsSync(BUILT)) throw new Error("dist/ is missing: run `npm run build` first");
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pvefix-code-cache-"));
  bundle = join(dir, "bundle.cjs");
  cacheDir = join(dir, "cache", "pvefix");
  writeBundle(
    "exports.answer = () => 42; exports.file = __filename; exports.dep = require('node:path').sep;",
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeBundle(source: string) {
  writeFileSync(bundle, source);
}

interface Loaded {
  fromCache: boolean;
  answer: number;
  file: string;
  dep: string;
}

function load(flavor = "diagnose", dirOfCache: string | null = cacheDir): Loaded {
  return loadBundle(bundle, flavor, dirOfCache);
}

function loadBundle(file: string, flavor = "diagnose", dirOfCache: string | null = cacheDir): Loaded {
  const script = `
    import { requireWithCodeCache } from ${JSON.stringify(pathToFileURL(BUILT).href)};
    const m = requireWithCodeCache(${JSON.stringify(file)}, { cacheDir: ${JSON.stringify(dirOfCache)}, flavor: ${JSON.stringify(flavor)} });
    const { answer, file, dep } = m.exports;
    console.log(JSON.stringify({ fromCache: m.fromCache, answer: answer(), file, dep }));
    m.save();`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`load failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Loaded;
}

const cacheFiles = () => readdirSync(cacheDir).sort();

describe("requireWithCodeCache", () => {
  it("runs the bundle as CommonJS (exports, require, __filename) and writes a private cache after it", () => {
    const first = load();
    expect(first).toEqual({ fromCache: false, answer: 42, file: bundle, dep: "/" });
    const [file] = cacheFiles();
    expect(file).toMatch(/^bundle\.cjs-[0-9a-f]{8}-[0-9a-f]{16}-diagnose\.v8$/);
    expect(statSync(join(cacheDir, file!)).mode & 0o777).toBe(0o600);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
  });

  it("takes the compiled code from the cache on the next start", () => {
    load();
    expect(load()).toMatchObject({ fromCache: true, answer: 42 });
  });

  it("keeps one file per command word", () => {
    load("diagnose");
    load("list");
    expect(cacheFiles()).toHaveLength(2);
    expect(load("list").fromCache).toBe(true);
  });

  it("drops the cache of a bundle that changed and runs the new code", () => {
    load();
    const [old] = cacheFiles();
    // Same length on purpose: V8 itself would accept the old cache for it.
    writeBundle(
      "exports.answer = () => 43; exports.file = __filename; exports.dep = require('node:path').sep;",
    );
    utimesSync(bundle, new Date(), new Date(Date.now() + 5_000));
    expect(load()).toMatchObject({ fromCache: false, answer: 43 });
    expect(cacheFiles()).toHaveLength(1);
    expect(cacheFiles()[0]).not.toBe(old);
  });

  it("keeps the cache of another install of the same bundle until it is abandoned", () => {
    load();
    const [mine] = cacheFiles();
    // A second checkout: the same bundle file name in another directory.
    const other = join(dir, "other-checkout");
    mkdirSync(other);
    const otherBundle = join(other, "bundle.cjs");
    writeFileSync(otherBundle, "exports.answer = () => 7; exports.file = __filename; exports.dep = '/';");
    const loadOther = () => loadBundle(otherBundle);
    expect(loadOther().answer).toBe(7);
    expect(cacheFiles()).toHaveLength(2);
    expect(load().fromCache).toBe(true);
    expect(loadOther().fromCache).toBe(true);
    // Untouched for 31 days: the next write of the other install removes it.
    const old = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    utimesSync(join(cacheDir, mine!), old, old);
    loadBundle(otherBundle, "list");
    expect(cacheFiles()).not.toContain(mine);
  });

  it("ignores a cache file that others can write, and replaces a corrupt one", () => {
    load();
    const file = join(cacheDir, cacheFiles()[0]!);
    chmodSync(file, 0o666);
    expect(load().fromCache).toBe(false);
    chmodSync(file, 0o600);
    writeFileSync(file, "not a code cache");
    expect(load()).toMatchObject({ fromCache: false, answer: 42 });
    expect(load().fromCache).toBe(true);
  });

  it("still runs where no cache can be written, and writes nothing without a cache directory", () => {
    mkdirSync(join(dir, "cache"));
    writeFileSync(cacheDir, "a file where the directory should be");
    expect(load()).toMatchObject({ fromCache: false, answer: 42 });
    expect(load("list", null)).toMatchObject({ fromCache: false, answer: 42 });
    expect(readdirSync(join(dir, "cache"))).toEqual(["pvefix"]);
  });
});

describe("cacheFlavor", () => {
  it("is the first word that is not an option", () => {
    expect(cacheFlavor(["diagnose", "--lab"])).toBe("diagnose");
    expect(cacheFlavor(["--lab", "run", "stuck-lock"])).toBe("run");
    expect(cacheFlavor(["--version"])).toBe("other");
    expect(cacheFlavor(["-i", "prod.yaml", "-o", "json", "diagnose"])).toBe("diagnose");
    expect(cacheFlavor(["--state-dir", "/tmp/s", "lab", "reset"])).toBe("lab");
    expect(cacheFlavor(["parse", "/tmp/pvecm-status.txt"])).toBe("parse");
    expect(cacheFlavor(["./weird"])).toBe("other");
  });
});

describe("defaultCacheDir", () => {
  it("follows XDG_CACHE_HOME and is off with PVEFIX_NO_CODE_CACHE=1", () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/var/cache/u" })).toBe("/var/cache/u/pvefix");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/var/cache/u", PVEFIX_NO_CODE_CACHE: "1" })).toBeNull();
  });
});
