/**
 * `zfs list -H -p -o <fields>` and `zpool list -H -p -o <fields>` (zfs-list(8), zpool-list(8)):
 * one line per dataset, snapshot or pool, fields in the order asked for, separated by one tab;
 * `-p` prints sizes in bytes and times in epoch seconds, `-` where a property does not apply.
 * PVE reads snapshots the same way (ZFSPoolPlugin volume_snapshot_info:
 * `zfs list -Hp -r -t snapshot -o name,guid,creation <pool>/<vol>`).
 */
import { z } from "zod";
import { ParseError } from "./format.js";
import { splitLines } from "./parser-support.js";

export const ZfsEntry = z.object({
  /** `pool/data/vm-100-disk-0` or `pool/data/vm-100-disk-0@snap`. */
  name: z.string(),
  /** The dataset part of the name (before `@`). */
  dataset: z.string(),
  /** The snapshot part (after `@`), null for a dataset. */
  snapshot: z.string().nullable(),
  /** Every asked-for field as printed; numeric ones also in `numbers`. */
  fields: z.record(z.string(), z.string()),
  /** Fields printed as an integer (bytes, epoch seconds, guids up to 2^53 only: see `guid`). */
  numbers: z.record(z.string(), z.number()),
  /** The 64-bit guid as text (exact), when asked for. */
  guid: z.string().nullable(),
});
export type ZfsEntry = z.infer<typeof ZfsEntry>;

const FORMAT = "zfs-list";

/** Lines of a `-H -p -o <fields>` listing; `fields` is the list passed to `-o`. */
export function parseZfsList(text: string, fields: readonly string[]): ZfsEntry[] {
  return splitLines(text)
    .filter((line) => line !== "")
    .map((line, i) => {
      const cells = line.split("\t");
      if (cells.length !== fields.length)
        throw new ParseError(
          FORMAT,
          `expected ${fields.length} tab-separated fields (${fields.join(",")}), got ${cells.length}: '${line}'`,
          i + 1,
        );
      const record: Record<string, string> = {};
      const numbers: Record<string, number> = {};
      fields.forEach((f, j) => {
        const cell = cells[j] ?? "";
        record[f] = cell;
        if (/^\d+$/.test(cell)) numbers[f] = Number(cell);
      });
      const name = record.name ?? "";
      const at = name.indexOf("@");
      return {
        name,
        dataset: at < 0 ? name : name.slice(0, at),
        snapshot: at < 0 ? null : name.slice(at + 1),
        fields: record,
        numbers,
        guid: record.guid !== undefined && /^\d+$/.test(record.guid) ? record.guid : null,
      };
    });
}

export const ZpoolEntry = z.object({
  name: z.string(),
  size: z.number(),
  alloc: z.number(),
  free: z.number(),
  health: z.string(),
});
export type ZpoolEntry = z.infer<typeof ZpoolEntry>;

export const ZPOOL_FIELDS = ["name", "size", "alloc", "free", "health"] as const;

/** `zpool list -H -p -o name,size,alloc,free,health`. */
export function parseZpoolList(text: string): ZpoolEntry[] {
  return parseZfsList(text, ZPOOL_FIELDS).map((e, i) => {
    const n = (f: string) => {
      const v = e.numbers[f];
      if (v === undefined)
        throw new ParseError("zpool-list", `${f} is not a byte count: '${e.fields[f]}'`, i + 1);
      return v;
    };
    return {
      name: e.name,
      size: n("size"),
      alloc: n("alloc"),
      free: n("free"),
      health: e.fields.health ?? "",
    };
  });
}
