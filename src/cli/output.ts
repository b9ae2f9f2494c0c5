/**
 * What every command prints on stdout for machines: its JSON or Markdown document with a schema
 * version, the time it was made and the cluster, and one JSON document for an error too.
 * Views stay pure (no clock); the envelope is added here, once per invocation.
 */
import { CommanderError } from "commander";
import { isStateDirFault } from "../engine/lock.js";
import { PvefixError } from "../errors/pvefix-error.js";
import { describeError, exitCodeForError } from "./exit-codes.js";
import type { GlobalOptions, OutputFormat } from "./global-options.js";

/** Bumped when a field of the JSON output is removed or changes meaning (new fields are additions). */
export const OUTPUT_SCHEMA_VERSION = 1;

export interface OutputMeta {
  /** The cluster the document is about, when there is one. */
  cluster?: string | undefined;
  now?: Date;
}

/** `{schemaVersion, generatedAt, cluster, …document}` for JSON; a closing metadata line for Markdown. */
export function withEnvelope(text: string, format: OutputFormat, meta: OutputMeta = {}): string {
  const generatedAt = (meta.now ?? new Date()).toISOString();
  if (format === "json") {
    const doc = JSON.parse(text) as Record<string, unknown>;
    return JSON.stringify(
      {
        schemaVersion: OUTPUT_SCHEMA_VERSION,
        generatedAt,
        ...(meta.cluster ? { cluster: meta.cluster } : {}),
        ...doc,
      },
      null,
      2,
    );
  }
  if (format === "md") {
    const cluster = meta.cluster ? ` · cluster ${meta.cluster}` : "";
    return `${text}\n\n---\n\n<sub>pvefix output schema ${OUTPUT_SCHEMA_VERSION} · generated ${generatedAt}${cluster}</sub>`;
  }
  return text;
}

export function printOutput(
  globals: Pick<GlobalOptions, "output" | "jsonl">,
  text: string,
  meta: OutputMeta = {},
): void {
  const out = oneLineIf(globals.jsonl === true, withEnvelope(text, globals.output, meta));
  process.stdout.write(out.endsWith("\n") ? out : `${out}\n`);
}

/** With `-o jsonl` a JSON document is one line: the last line of the stream. */
export function oneLineIf(jsonl: boolean, json: string): string {
  return jsonl ? JSON.stringify(JSON.parse(json)) : json;
}

/** The machine-readable code of an error: its own, or one per kind of error that has none. */
export function errorCode(error: unknown): string {
  if (error instanceof PvefixError && !error.internal) return error.code;
  if (error instanceof CommanderError) return "PVEFIX_USAGE";
  if (isStateDirFault(error)) return "PVEFIX_FILE_WRITE";
  return "PVEFIX_INTERNAL";
}

/** The one JSON document `-o json` prints for a command that ended in an error. */
export function errorDocument(error: unknown, now = new Date()): string {
  const exitCode = exitCodeForError(error);
  const code = errorCode(error);
  const text = error instanceof CommanderError ? error.message.replace(/^error: /, "") : describeError(error);
  const [first = "", ...rest] = text.split("\n");
  const detail = rest
    .map((l) => l.trim())
    .filter(Boolean)
    .join("\n");
  return JSON.stringify(
    {
      schemaVersion: OUTPUT_SCHEMA_VERSION,
      generatedAt: now.toISOString(),
      kind: code === "PVEFIX_NOTHING_TO_UNDO" ? "nothing-to-undo" : "error",
      exitCode,
      error: {
        code,
        message: first.replace(/^✖ /, ""),
        ...(detail ? { detail } : {}),
      },
    },
    null,
    2,
  );
}

/** `-o json` or `-o jsonl` as commander would read it from argv, for errors raised before or during parsing. */
export function wantsJson(argv: readonly string[]): boolean {
  const format = outputFlag(argv);
  return format === "json" || format === "jsonl";
}

export function outputFlag(argv: readonly string[]): string {
  let format = "text";
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? "";
    if (word === "--") break;
    if (word === "-o" || word === "--output") format = argv[i + 1] ?? format;
    else if (word.startsWith("--output=")) format = word.slice("--output=".length);
    else if (/^-o[^-]/.test(word)) format = word.slice(2);
  }
  return format;
}
