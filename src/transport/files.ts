/**
 * File operations on a node, as plain shell commands through any Transport. The command shapes
 * are fixed on purpose: the lab simulator implements exactly `cat`, `base64 -w0`, `sha256sum`,
 * `cp -p`, `mv -f`, `rm -f`, `mkdir -p`, `chmod`, `>` and `&&`.
 */

import { posix } from "node:path";
import { EXIT } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";
import { sh } from "../shell/quote.js";
import { type CommandResult, describeFailure, type ExecOptions, type Transport } from "./types.js";

/** A read that failed for a reason other than "the file does not exist". */
export class FileOpError extends PvefixError {
  override readonly name = "FileOpError";
  readonly code = "PVEFIX_FILE_OP_FAILED";
  constructor(
    readonly node: string,
    readonly path: string,
    readonly result: CommandResult,
  ) {
    const stderr = result.stderr.trim();
    super(`${describeFailure(result)}${stderr ? `\n${stderr}` : ""}`, {
      exitCode: EXIT.failed,
      internal: true,
    });
  }
}

export type FileReadOptions = Pick<ExecOptions, "timeoutMs">;

const TMP_SUFFIX = ".pvefix-tmp";

function isMissing(result: CommandResult): boolean {
  return !result.timedOut && !result.connectionLost && /No such file or directory/.test(result.stderr);
}

/** Read a file binary-safe (base64 on the wire). A missing file is `exists: false`, not an error. */
export async function readFile(
  t: Transport,
  node: string,
  path: string,
  opts: FileReadOptions = {},
): Promise<{ exists: boolean; content: Buffer; result: CommandResult }> {
  const result = await t.exec(node, sh`base64 -w0 ${path}`, opts);
  if (!result.failed) return { exists: true, content: Buffer.from(result.stdout.trim(), "base64"), result };
  if (isMissing(result)) return { exists: false, content: Buffer.alloc(0), result };
  throw new FileOpError(node, path, result);
}

/**
 * Replace a file in one rename, so readers see the old or the new bytes, never half a file.
 * Returns every command it ran; the caller checks `failed` (a failed write also removes the temp file).
 * @example await writeFileAtomic(t, "pve2", "/etc/pve/datacenter.cfg", text, { mode: "0640" })
 */
export async function writeFileAtomic(
  t: Transport,
  node: string,
  path: string,
  content: Buffer | string,
  opts: { mode?: string; timeoutMs?: number } = {},
): Promise<CommandResult[]> {
  if (opts.mode !== undefined && !/^[0-7]{3,4}$/.test(opts.mode)) {
    throw new TypeError(`Expected \`mode\` to be an octal mode such as 0644, got \`${opts.mode}\``);
  }
  const tmp = `${path}${TMP_SUFFIX}`;
  const command =
    opts.mode === undefined
      ? sh`cat > ${tmp} && mv -f ${tmp} ${path}`
      : sh`cat > ${tmp} && chmod ${opts.mode} ${tmp} && mv -f ${tmp} ${path}`;
  const write = await t.exec(node, command, { stdin: content, timeoutMs: opts.timeoutMs });
  // After a lost connection or timeout the node state is unknown; another command could make it worse.
  if (!write.failed || write.timedOut || write.connectionLost) return [write];
  return [write, await t.exec(node, sh`rm -f ${tmp}`)];
}

/** `rm -f`: removing a file that is already gone succeeds. */
export function removeFile(t: Transport, node: string, path: string): Promise<CommandResult> {
  return t.exec(node, sh`rm -f ${path}`);
}

/** Copy keeping mode, owner and times, creating the target directory. */
export function copyFile(t: Transport, node: string, from: string, to: string): Promise<CommandResult> {
  return t.exec(node, sh`mkdir -p ${posix.dirname(to)} && cp -p ${from} ${to}`);
}

/** Hex sha256 of a file on the node, `null` when it does not exist. */
export async function sha256(t: Transport, node: string, path: string): Promise<string | null> {
  const result = await t.exec(node, sh`sha256sum ${path}`);
  if (isMissing(result)) return null;
  const hash = /^\\?([0-9a-f]{64})\s/.exec(result.stdout)?.[1];
  if (result.failed || hash === undefined) throw new FileOpError(node, path, result);
  return hash;
}
