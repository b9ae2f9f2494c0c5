/**
 * Loads the bundled CLI (one CommonJS file) through V8's code cache. Compiling the bundle was
 * most of a cold start, and pvefix starts once per command: with the cache a command starts
 * about 0.1 s sooner (docs/performance.md). Node 20 has no built-in module compile cache.
 *
 * The cache holds compiled code, so it is trusted like the bundle: it lives in a directory only
 * this user can write ($XDG_CACHE_HOME/pvefix, mode 0700) and a file that is not ours or that
 * others can write is ignored. Anything that goes wrong (no home, read-only disk, a cache V8
 * rejects) only costs the speed-up, never the command. PVEFIX_NO_CODE_CACHE=1 turns it off.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";

export interface CachedModule {
  exports: Record<string, unknown>;
  /** Whether V8 took compiled code from the cache. */
  fromCache: boolean;
  /** Write the cache after the command ran, so it holds the code that command compiled too. */
  save(): void;
}

/** Files kept per installed bundle; the oldest go first. */
const MAX_FILES = 16;
/** Another install's cache untouched this long is abandoned (a removed checkout, an old global install). */
const ABANDONED_MS = 30 * 24 * 3600 * 1000;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PVEFIX_NO_CODE_CACHE === "1") return null;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "pvefix");
  try {
    return join(homedir(), ".cache", "pvefix");
  } catch {
    return null;
  }
}

/** The global options that take a value (src/cli/program.ts): their value is not the command. */
const VALUE_OPTIONS = new Set(["-i", "--inventory", "--state-dir", "-o", "--output"]);

/**
 * Which commands share a cache file. V8 stores only functions that were compiled, so a cache
 * written by `pvefix list` would leave `diagnose` compiling most of its code: each command word
 * gets its own file. A wrong guess costs a file or the speed-up, not correctness.
 */
export function cacheFlavor(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith("-")) return /^[a-z][a-z-]{0,15}$/.test(arg) ? arg : "other";
  }
  return "other";
}

export function requireWithCodeCache(
  file: string,
  options: { cacheDir: string | null; flavor: string },
): CachedModule {
  const source = readFileSync(file, "utf8");
  const { size, mtimeMs } = statSync(file);
  // Node's version and arch make V8's format; size and mtime make the bundle (V8 checks only the length).
  const key = createHash("sha256")
    .update(`${process.version} ${process.arch} ${size} ${mtimeMs}`)
    .digest("hex")
    .slice(0, 16);
  // One prefix per installed bundle (its path): two checkouts, or a checkout and a global install,
  // keep their own caches instead of pruning each other's at every start.
  const install = createHash("sha256").update(file).digest("hex").slice(0, 8);
  const prefix = `${basename(file)}-${install}-`;
  const cacheFile = options.cacheDir && join(options.cacheDir, `${prefix}${key}-${options.flavor}.v8`);
  const cachedData = cacheFile ? readOwnFile(cacheFile) : undefined;

  // CommonJS's own function wrapper (Module.wrap), so the bundle sees require, module and __filename.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as Record<string, unknown> };
  const init = script.runInThisContext() as (...args: unknown[]) => void;
  init(module.exports, createRequire(file), module, file, dirname(file));
  const fromCache = cachedData !== undefined && !script.cachedDataRejected;

  return {
    exports: module.exports,
    fromCache,
    save() {
      if (!cacheFile || fromCache) return;
      try {
        writeCache(cacheFile, script.createCachedData(), prefix, key);
      } catch {
        // A cache that cannot be written only costs the next start its speed-up.
      }
    },
  };
}

/** Ours, and nobody else can write it: only then is compiled code in it trusted. */
function ownedPrivately(stat: Stats): boolean {
  return stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
}

/** The file's bytes if this user owns it and nobody else can write it; otherwise nothing. */
function readOwnFile(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const stat = fstatSync(fd);
    if (!ownedPrivately(stat)) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeCache(cacheFile: string, data: Buffer, prefix: string, key: string): void {
  const dir = dirname(cacheFile);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!ownedPrivately(statSync(dir))) return;
  const temp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(temp, data, { mode: 0o600 });
  renameSync(temp, cacheFile);
  prune(dir, prefix, key);
}

/**
 * Drop this install's caches of an older bundle or Node version, its oldest beyond MAX_FILES, and
 * other installs' caches only once abandoned.
 */
function prune(dir: string, prefix: string, key: string): void {
  const all = readdirSync(dir)
    .filter((name) => name.endsWith(".v8"))
    .map((name) => ({ name, path: join(dir, name) }));
  const ours = all.filter((f) => f.name.startsWith(prefix));
  const abandoned = all.filter((f) => !f.name.startsWith(prefix) && ageMs(f.path) > ABANDONED_MS);
  const stale = [...ours.filter((f) => !f.name.startsWith(`${prefix}${key}-`)), ...abandoned];
  const current = ours
    .filter((f) => f.name.startsWith(`${prefix}${key}-`))
    .map((f) => ({ ...f, mtime: statSync(f.path).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const f of [...stale, ...current.slice(MAX_FILES)]) {
    try {
      unlinkSync(f.path);
    } catch {
      // Another pvefix may have removed it first.
    }
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
