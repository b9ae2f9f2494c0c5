/** Global options shared by every command, normalised once. */

import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { EXIT } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";

export const OutputFormat = z.enum(["text", "md", "json"]);
export type OutputFormat = z.infer<typeof OutputFormat>;
/** What `-o` accepts: the views' formats, and `jsonl` (JSON views, events streamed as they happen). */
export const OutputFlag = z.enum(["text", "md", "json", "jsonl"]);

export interface GlobalOptions {
  /** The cluster's inventory: the only -i given (several are only for `diagnose`, see `inventories`). */
  inventory?: string;
  /** Every -i, in order: `diagnose` sweeps each cluster; any other command refuses more than one. */
  inventories?: string[];
  /** The Ansible group that is the cluster, for an Ansible `-i`. */
  group?: string;
  lab: boolean;
  stateDir: string;
  /** Set when `--state-dir` was given: next commands must repeat it to find the same runs and lab. */
  stateDirFlag?: string;
  /** The views' format: `json` for `-o jsonl`. */
  output: OutputFormat;
  /** `-o jsonl`: one JSON object a line on stdout, the run's events as they happen, the result last. */
  jsonl?: boolean;
  color: boolean;
  verbose: boolean;
  acceptNewHostKeys: boolean;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PVEFIX_STATE_DIR) return env.PVEFIX_STATE_DIR;
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(base, "pvefix");
}

export function normalizeGlobals(raw: Record<string, unknown>): GlobalOptions {
  const output = OutputFlag.safeParse(raw.output ?? "text");
  if (!output.success) {
    throw new GlobalOptionError(
      `✖ Invalid option: expected one of "text"|"md"|"json"|"jsonl", got ${JSON.stringify(raw.output)}\n  → at --output`,
    );
  }
  const inventories = (Array.isArray(raw.inventory) ? raw.inventory : [raw.inventory]).filter(
    (i): i is string => typeof i === "string",
  );
  const given = typeof raw.stateDir === "string" ? path.resolve(raw.stateDir) : undefined;
  return {
    ...(inventories.length > 0 ? { inventory: inventories[0], inventories } : {}),
    ...(typeof raw.group === "string" ? { group: raw.group } : {}),
    lab: raw.lab === true,
    stateDir: given ?? path.resolve(defaultStateDir()),
    ...(given ? { stateDirFlag: given } : {}),
    output: output.data === "jsonl" ? "json" : output.data,
    jsonl: output.data === "jsonl",
    color:
      raw.color !== false && !process.env.NO_COLOR && process.stdout.isTTY === true && output.data === "text",
    verbose: raw.verbose === true,
    acceptNewHostKeys: raw.acceptNewHostKeys === true,
  };
}

export class GlobalOptionError extends PvefixError {
  override readonly name = "GlobalOptionError";
  readonly code = "PVEFIX_BAD_INPUT";
  constructor(message: string) {
    super(message, { exitCode: EXIT.badInput });
  }
}
