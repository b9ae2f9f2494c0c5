/**
 * `corosync-cmapctl [prefix…]` and `corosync-cmapctl -g key…`: corosync's running configuration (cmap), one
 * `key (type) = value` line per key (corosync 3.x `tools/corosync-cmapctl.c`). `totem.*` holds what the
 * running corosync loaded from corosync.conf (at start or at the last `corosync-cfgtool -R`), so it is
 * what the node runs even when the file changed since; `runtime.config.totem.token` is the token in use
 * (totem.token plus token_coefficient for every node above two). A key the config does not set is absent.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";

export const CmapEntry = z.object({
  /** cmap's type name: u8 … u64, i8 … i64, flt, dbl, str, bin. */
  type: z.string(),
  /** The value as printed; a `str` keeps its trailing spaces (`r(0) ip(10.10.10.1) `). */
  value: z.string(),
});
export type CmapEntry = z.infer<typeof CmapEntry>;

export const CmapKeys = z.record(z.string(), CmapEntry);
export type CmapKeys = z.infer<typeof CmapKeys>;

const FORMAT = "corosync-cmapctl";
const LINE = /^(\S+) \(([a-z0-9]+)\) = (.*)$/;

export function parseCorosyncCmapctl(text: string): CmapKeys {
  const keys: CmapKeys = {};
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = LINE.exec(line);
    if (!m) throw new ParseError(FORMAT, `expected 'key (type) = value', got '${line}'`, i + 1);
    keys[m[1]!] = { type: m[2]!, value: m[3]! };
  });
  return keys;
}

/** A numeric key (`u32`, `u64`, …); null when absent. Throws when present but not an integer. */
export function cmapInteger(keys: CmapKeys, key: string): number | null {
  const entry = keys[key];
  if (entry === undefined) return null;
  if (!/^[ui]\d+$/.test(entry.type) || !/^-?\d+$/.test(entry.value))
    throw new ParseError(FORMAT, `${key} is ${entry.type} '${entry.value}', expected an integer`);
  return Number(entry.value);
}

export const RunningTotem = z.object({
  /** totem.config_version the running corosync loaded; null when its config has none. */
  configVersion: z.number().int().nullable(),
  /** totem.token as configured when corosync loaded it; null = not set (corosync's default, 3000 ms). */
  token: z.number().int().nullable(),
  /** runtime.config.totem.token: the token timeout in use (ms), coefficient included. */
  tokenInUse: z.number().int().nullable(),
});
export type RunningTotem = z.infer<typeof RunningTotem>;

/** The keys pvefix compares with corosync.conf, from `corosync-cmapctl totem. runtime.config.totem.token`. */
export function runningTotem(keys: CmapKeys): RunningTotem {
  return {
    configVersion: cmapInteger(keys, "totem.config_version"),
    token: cmapInteger(keys, "totem.token"),
    tokenInUse: cmapInteger(keys, "runtime.config.totem.token"),
  };
}

/** corosync is not running (or not answering its IPC) on the node: stderr of any corosync-cmapctl call. */
export function cmapDown(stderr: string): boolean {
  return /Failed to initiali[sz]e the cmap API/.test(stderr);
}

export const corosyncCmapctlFormat: ParserFormat<CmapKeys> = {
  name: FORMAT,
  description: "corosync-cmapctl [prefix…] or -g key… (corosync's running configuration)",
  schema: CmapKeys,
  parse: parseCorosyncCmapctl,
};
