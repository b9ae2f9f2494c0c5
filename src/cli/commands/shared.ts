/** Small glue shared by commands: open the target, pick listeners, print. */
import type { EngineListener } from "../../engine/events.js";
import type { ClusterTarget } from "../../engine/session.js";
import type { GlobalOptions } from "../global-options.js";
import { lineProgress, listrProgress, type Progress } from "../progress.js";
import { openTarget } from "../target.js";

export async function withTarget<T>(
  globals: GlobalOptions,
  fn: (target: ClusterTarget) => Promise<T>,
): Promise<T> {
  const target = await openTarget(globals);
  try {
    return await fn(target);
  } finally {
    await target.transport.close();
  }
}

/** Spinners only on a terminal and never with machine output; plain stderr lines otherwise. */
export function progressFor(globals: GlobalOptions, quiet = false): Progress {
  if (globals.output === "json" || quiet) {
    return globals.verbose ? lineProgress({ verbose: true }) : { idle: async () => {} };
  }
  return process.stderr.isTTY && !process.env.CI ? listrProgress(globals) : lineProgress(globals);
}

export function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export type { EngineListener, Progress };
