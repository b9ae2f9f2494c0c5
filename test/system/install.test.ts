/**
 * The package as users get it (issue 15): `npm pack` makes a tarball that `npm install -g`
 * installs into a clean prefix with no dev dependency, and the installed `pvefix` runs from
 * outside the checkout (so nothing resolves into the checkout's node_modules): --version, list,
 * the lab, completion.
 * Needs `npm run build` first (the tarball ships dist/), and npm's cache: the install runs with
 * --prefer-offline, so it reaches the npm registry only for a dependency the cache lacks.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};
const run = promisify(execFile);

let work: string;
let tarball: string;
let prefix: string;

/** The installed pvefix, from an empty directory, with a PATH and HOME of its own. */
async function pvefix(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(prefix, "bin", "pvefix"), args, {
      cwd: join(work, "elsewhere"),
      env: {
        PATH: `${join(prefix, "bin")}:${process.env.PATH}`,
        HOME: join(work, "home"),
        XDG_CACHE_HOME: join(work, "cache"),
        PVEFIX_STATE_DIR: join(work, "state"),
        NO_COLOR: "1",
      },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  expect(existsSync(join(REPO, "dist", "cli", "pvefix.cjs")), "run `npm run build` first").toBe(true);
  work = mkdtempSync(join(tmpdir(), "pvefix-install-"));
  prefix = join(work, "prefix");
  await run("mkdir", ["-p", join(work, "elsewhere"), join(work, "home")]);
  // The build is the test's precondition: --ignore-scripts skips prepack's second build.
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
    cwd: REPO,
    timeout: 120_000,
  });
  const [{ filename = "" } = {}] = JSON.parse(packed.stdout) as Array<{ filename?: string }>;
  tarball = join(work, filename);
  await run(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--omit=dev",
      tarball,
    ],
    { cwd: join(work, "elsewhere"), env: { ...process.env, NODE_ENV: "production" }, timeout: 300_000 },
  );
}, 420_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the packed and installed pvefix", () => {
  it("ships the bundle, the code cache loader and the docs, but no tests and no build scripts", async () => {
    const { stdout } = await run("tar", ["tzf", tarball]);
    const files = stdout.trim().split("\n");
    expect(files).toEqual(
      expect.arrayContaining([
        "package/bin/pvefix.js",
        "package/dist/cli/pvefix.cjs",
        "package/dist/src/cli/code-cache.js",
        "package/dist/src/index.js",
        "package/dist/src/index.d.ts",
        "package/docs/cli.md",
        "package/README.md",
      ]),
    );
    expect(
      files.filter((f) => /^package\/(test|bench|scripts|src|dist\/scripts|dist\/bench)\//.test(f)),
    ).toEqual([]);
  });

  it("installs with no dev dependency", () => {
    const modules = join(prefix, "lib", "node_modules", "pvefix", "node_modules");
    expect(existsSync(join(modules, "ssh2"))).toBe(true);
    // A name both pvefix's dev tooling and a runtime package's dependency (graphile-worker needs
    // @types/pg, which needs @types/node) is installed for that package, not as pvefix's dev tool.
    const installed = readdirSync(modules).flatMap((name) =>
      name.startsWith("@") ? readdirSync(join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
    );
    const neededAtRuntime = new Set(
      installed.flatMap((name) => {
        const file = join(modules, name, "package.json");
        if (!existsSync(file)) return [];
        const manifest = JSON.parse(readFileSync(file, "utf8")) as { dependencies?: Record<string, string> };
        return Object.keys(manifest.dependencies ?? {});
      }),
    );
    const leaked = Object.keys(pkg.devDependencies).filter(
      (name) => existsSync(join(modules, name)) && !neededAtRuntime.has(name),
    );
    expect(leaked).toEqual([]);
    // The build and test tools themselves are never there.
    for (const tool of ["typescript", "vitest", "@biomejs/biome", "esbuild", "tsx", "playwright-core"])
      expect(existsSync(join(modules, tool)), tool).toBe(false);
  });

  it("runs: --version, list, the lab and completion", async () => {
    const version = await pvefix(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const list = await pvefix(["list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^stuck-lock +safe/m);
    const diagnose = await pvefix(["--lab", "diagnose", "-o", "json"]);
    expect([10, 11], diagnose.stderr).toContain(diagnose.code);
    expect(JSON.parse(diagnose.stdout)).toMatchObject({ cluster: "lab" });
    const completion = await pvefix(["completion", "bash"]);
    expect(completion.stdout).toContain("complete -o default -F _pvefix_completion pvefix");
  });
});
