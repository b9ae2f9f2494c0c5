/**
 * `pvesm status` (proxmox-facts §8.2). The table never says why a storage is `inactive`; the
 * reasons are on stderr, which `parsePvesmStatusErrors` reads.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";
import { splitTable, tableReading } from "./table.js";

const KiB = z.number().int().nonnegative().nullable();

export const PvesmStatusRow = z.object({
  name: z.string().min(1),
  type: z.string().min(1),
  /** There is no `unknown` here: a hung or unreachable storage shows as `inactive` with zeros. */
  status: z.enum(["active", "inactive", "disabled"]),
  total: KiB,
  used: KiB,
  available: KiB,
  /** Used percentage; `null` where pvesm prints `N/A` (disabled storages). */
  percent: z.number().nullable(),
});
export type PvesmStatusRow = z.infer<typeof PvesmStatusRow>;

export const PvesmStatusError = z.object({
  /** `null` when the line names no storage (a continuation of a mount error, say). */
  storage: z.string().nullable(),
  kind: z.enum([
    "not-online",
    "unreachable-path",
    "connection-check",
    "mount-error",
    "does-not-exist",
    "other",
  ]),
  message: z.string(),
});
export type PvesmStatusError = z.infer<typeof PvesmStatusError>;

const FORMAT = "pvesm-status";
// Both headers: `Total Used Available` before libpve-storage-perl 9.0.14, `Total (KiB) ...` after.
const HEADER = /^\s*Name\s+Type\s+Status\s+Total\b/;
type PvesmStatusReadingT = { rows: PvesmStatusRow[]; warnings: string[]; errors: PvesmStatusError[] };

function kib(value: string, field: string, line: number): number | null {
  if (value === "N/A") return null;
  if (!/^\d+$/.test(value)) throw new ParseError(FORMAT, `expected ${field} in KiB, got '${value}'`, line);
  return Number(value);
}

/**
 * Rows plus the stderr lines of a `2>&1` paste (printed before the table, since `storage_info`
 * warns while collecting). Storage ids cannot contain spaces (`pve-storage-id`), so cells split on
 * whitespace; the header is never split because its titles contain spaces.
 */
export function readPvesmStatus(text: string): PvesmStatusReadingT {
  const table = splitTable(FORMAT, text, HEADER, "Name Type Status Total ...", false);
  const rows = table.body.map(({ no, text: line }) => {
    const cells = line.trim().split(/\s+/);
    const [name, type, status, total, used, available, percent] = cells as [string, ...string[]];
    if (cells.length !== 7 || !(status === "active" || status === "inactive" || status === "disabled")) {
      throw new ParseError(
        FORMAT,
        `expected 'name type active|inactive|disabled total used available %', got '${line.trim()}'`,
        no,
      );
    }
    const pct = percent as string;
    if (pct !== "N/A" && !/^\d+(\.\d+)?%$/.test(pct)) {
      throw new ParseError(FORMAT, `expected a percentage or N/A, got '${pct}'`, no);
    }
    return {
      name,
      type: type as string,
      status,
      total: kib(total as string, "total", no),
      used: kib(used as string, "used", no),
      available: kib(available as string, "available", no),
      percent: pct === "N/A" ? null : Number(pct.slice(0, -1)),
    } satisfies PvesmStatusRow;
  });
  return { rows, warnings: table.warnings, errors: parsePvesmStatusErrors(table.warnings.join("\n")) };
}

export function parsePvesmStatus(stdout: string): PvesmStatusRow[] {
  return readPvesmStatus(stdout).rows;
}

const KINDS: Array<[RegExp, PvesmStatusError["kind"]]> = [
  [/does not exist or is unreachable/, "unreachable-path"],
  [/is not online/, "not-online"],
  [/connection check for storage/, "connection-check"],
  [/mount error/, "mount-error"],
  [/storage '[^']+' does not exist/, "does-not-exist"],
];

/** Classify each stderr line of `pvesm status`; free-form lines become kind `other`, never an error. */
export function parsePvesmStatusErrors(stderr: string): PvesmStatusError[] {
  return splitLines(stderr)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((message) => ({
      storage: /storage '([^']+)'/.exec(message)?.[1] ?? null,
      kind: KINDS.find(([pattern]) => pattern.test(message))?.[1] ?? "other",
      message,
    }));
}

export const PvesmStatusReading = tableReading(PvesmStatusRow).extend({
  /** The warnings classified by `parsePvesmStatusErrors` (why a storage is inactive). */
  errors: z.array(PvesmStatusError),
});
export type PvesmStatusReading = z.infer<typeof PvesmStatusReading>;

export const pvesmStatusFormat: ParserFormat<PvesmStatusReading> = {
  name: FORMAT,
  description: "pvesm status (2>&1 accepted): storages, status, usage in KiB, and the stderr reasons",
  schema: PvesmStatusReading,
  parse: readPvesmStatus,
};
