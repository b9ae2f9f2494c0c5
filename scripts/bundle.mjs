// Bundle the CLI into one CommonJS file (dist/cli/pvefix.cjs): Node spends most of a cold start
// resolving, loading and compiling modules, and pvefix is started once per command. One CommonJS
// file can go through V8's code cache (src/cli/code-cache.ts); ES modules cannot on Node 20.
// Lazily imported command modules stay lazy: esbuild runs their bodies on first import.
// ssh2 stays external: it is CommonJS with an optional native part.
import { rmSync } from "node:fs";
import { build } from "esbuild";

// Earlier builds left ES module chunks with content hashes here: start clean.
rmSync("dist/cli", { recursive: true, force: true });

await build({
  entryPoints: ["dist/src/cli/main.js"],
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20.19",
  outfile: "dist/cli/pvefix.cjs",
  // @pnpm/tabtab reads its shell scripts from files beside its own code.
  // pg loads its optional native binding by name; it is loaded only with --database.
  external: ["ssh2", "cpu-features", "@pnpm/tabtab", "pg", "pg-native"],
  // main.js finds package.json from its own location.
  define: { "import.meta.url": "__pvefixModuleUrl" },
  banner: { js: 'const __pvefixModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});
