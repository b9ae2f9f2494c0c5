/**
 * Entry point of the `pvefix` binary: parse, dispatch, map every error to an exit code.
 * The CLI holds no Proxmox knowledge and makes no decisions; it wires options to the API.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { CommanderError } from "commander";
import { describeError, exitCodeForError } from "./exit-codes.js";
import { errorDocument, oneLineIf, outputFlag, wantsJson } from "./output.js";
import { buildProgram } from "./program.js";

/** The version from package.json, found by walking up from this file (tsc output or bundle). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "pvefix" && pkg.version) return pkg.version;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram(packageVersion(), (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    // Commander has already printed its own message (and --help/--version are not errors).
    if (!(error instanceof CommanderError)) process.stderr.write(`${describeError(error)}\n`);
    const shown = error instanceof CommanderError && error.exitCode === 0;
    // A script reading `-o json` gets one document whatever happened, errors included.
    if (wantsJson(argv) && !shown)
      process.stdout.write(`${oneLineIf(outputFlag(argv) === "jsonl", errorDocument(error))}\n`);
    return exitCodeForError(error);
  }
}
