/**
 * Entry point of the `pvefix` binary: parse, dispatch, map every error to an exit code.
 * The CLI holds no Proxmox knowledge and makes no decisions; it wires options to the API.
 */
import { readFileSync } from "node:fs";
import { CommanderError } from "commander";
import { describeError, exitCodeForError } from "./exit-codes.js";
import { buildProgram } from "./program.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
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
    return exitCodeForError(error);
  }
}
