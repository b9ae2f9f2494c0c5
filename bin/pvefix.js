#!/usr/bin/env node
// The bundled CLI, compiled code reused from V8's code cache when there is one (src/cli/code-cache.ts).
import { fileURLToPath } from "node:url";
import { cacheFlavor, defaultCacheDir, requireWithCodeCache } from "../dist/src/cli/code-cache.js";

const cli = requireWithCodeCache(fileURLToPath(new URL("../dist/cli/pvefix.cjs", import.meta.url)), {
  cacheDir: defaultCacheDir(),
  flavor: cacheFlavor(process.argv.slice(2)),
});
process.exitCode = await cli.exports.main(process.argv);
cli.save();
