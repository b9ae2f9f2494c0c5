// Bundle the CLI into a few files (dist/cli/): Node spends most of a cold start resolving and
// loading ES modules one by one, and pvefix is started once per command. Lazy command modules
// stay lazy (code splitting). ssh2 stays external: it is CommonJS with an optional native part.
import { rmSync } from "node:fs";
import { build } from "esbuild";

// Chunk names carry content hashes: clear the old ones instead of piling them up.
rmSync("dist/cli", { recursive: true, force: true });

await build({
  entryPoints: { main: "dist/src/cli/main.js" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  outdir: "dist/cli",
  external: ["ssh2", "cpu-features"],
  // Bundled CommonJS dependencies call require() for Node built-ins; give them a real one.
  banner: {
    js: 'import { createRequire as __pvefixCreateRequire } from "node:module"; const require = __pvefixCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});
