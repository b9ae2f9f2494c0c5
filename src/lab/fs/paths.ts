/** Absolute path arithmetic for the simulated nodes (POSIX only, no host filesystem involved). */
import { posix } from "node:path";

/** Debian links /var/run → /run and /var/lock → /run/lock; the lab stores such files under /run. */
const ALIASES: Array<[string, string]> = [
  ["/var/run", "/run"],
  ["/var/lock", "/run/lock"],
];

export function normalizePath(path: string, cwd = "/root"): string {
  let abs = posix.normalize(path.startsWith("/") ? path : `${cwd}/${path}`);
  if (abs.length > 1 && abs.endsWith("/")) abs = abs.slice(0, -1);
  for (const [from, to] of ALIASES) {
    if (abs === from || abs.startsWith(`${from}/`)) abs = to + abs.slice(from.length);
  }
  return abs;
}

export function dirnameOf(path: string): string {
  return posix.dirname(path);
}

export function basenameOf(path: string): string {
  return posix.basename(path);
}

/** `path` equals `dir` or lies below it. */
export function isWithin(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(`${dir}/`);
}
