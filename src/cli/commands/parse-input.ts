/**
 * Reading what `pvefix parse` is given: a file or stdin, refused early and by name when it is
 * missing, a directory, or larger than any Proxmox output a ticket would carry (a pvereport of a
 * big node is a few MB). Reading stops at the limit instead of loading the whole input first.
 */
import * as fs from "node:fs";
import { GlobalOptionError } from "../global-options.js";

/** 16 MiB: several times the largest pvereport seen, far below what would stall a parse. */
export const PARSE_INPUT_LIMIT = 16 * 1024 * 1024;
const CHUNK = 64 * 1024;

function refuse(message: string, where: string): never {
  throw new GlobalOptionError(`✖ ${message}\n  → at ${where}`);
}

function readLimited(fd: number, where: string, limit: number): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(CHUNK);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buffer, 0, CHUNK, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue;
      if (code === "EOF") break;
      refuse(`Cannot read ${where}: ${(e as Error).message}`, where);
    }
    if (n === 0) break;
    total += n;
    if (total > limit) refuse(`Input is larger than the ${limit / 1024 / 1024} MiB limit`, where);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The text of FILE (or stdin for `-` / no file), or exit 2 naming the path and the reason. */
export function readParseInput(file: string | undefined, limit = PARSE_INPUT_LIMIT): string {
  if (!file || file === "-") return readLimited(0, "<stdin>", limit);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") refuse(`No such file: ${file}`, file);
    if (code === "EACCES") refuse(`Permission denied reading ${file}`, file);
    refuse(`Cannot read ${file}: ${(e as Error).message}`, file);
  }
  if (stat.isDirectory()) refuse(`${file} is a directory: give a file (or - for stdin)`, file);
  if (stat.isFile() && stat.size > limit) {
    refuse(
      `${file} is ${Math.ceil(stat.size / 1024 / 1024)} MiB, larger than the ${limit / 1024 / 1024} MiB limit`,
      file,
    );
  }
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES") refuse(`Permission denied reading ${file}`, file);
    refuse(`Cannot read ${file}: ${(e as Error).message}`, file);
  }
  try {
    return readLimited(fd, file, limit);
  } finally {
    fs.closeSync(fd);
  }
}
