/**
 * `zfs list`, `zfs rename`, `zfs destroy` and `zpool list` as OpenZFS 2.x prints them (zfs-list(8),
 * zfsprops(7), zpool-list(8), zfs_main.c): `-H` = no header, fields separated by one tab; `-p` =
 * exact numbers (bytes, epoch seconds); otherwise a header of upper-case names, columns padded
 * with two spaces, numbers right-aligned and sizes as `zfs_nicenum` writes them (`32G`, `1.50G`).
 * A property that does not apply prints `-`. Errors are zfs's own lines on stderr, exit 1.
 */
import { ctime } from "../model/clock.js";
import {
  availIn,
  DOES_NOT_EXIST,
  destroyDataset,
  findDataset,
  findPool,
  poolOf,
  renameDataset,
  usedOf,
} from "../model/zfs.js";
import type { LabNode, LabZfsDataset, LabZfsSnapshot } from "../state.js";
import { getopt } from "./args.js";
import { type CommandContext, type CommandHandler, fail, ok, unsupported } from "./types.js";

type Row = { ds: LabZfsDataset; snap: LabZfsSnapshot | null };

const SIZE_FIELDS = new Set(["used", "avail", "available", "refer", "referenced", "volsize", "written"]);
const ALIASES: Record<string, string> = { available: "avail", referenced: "refer" };
const FIELDS = new Set([
  "name",
  "type",
  "guid",
  "creation",
  "mountpoint",
  "origin",
  "refquota",
  ...SIZE_FIELDS,
]);

/** zfs_nicenum: 1024-based, an exact unit as `32G`, else the longest of %.2f/%.1f/%.0f that fits 5 chars. */
export function nicenum(bytes: number): string {
  const units = ["B", "K", "M", "G", "T", "P", "E"];
  let i = 0;
  let n = bytes;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  const unit = units[i] ?? "B";
  if (i === 0 || bytes % 1024 ** i === 0) return `${Math.round(n)}${unit}`;
  for (const digits of [2, 1, 0]) {
    const text = `${n.toFixed(digits)}${unit}`;
    if (text.length <= 5) return text;
  }
  return `${Math.round(n)}${unit}`;
}

function value(node: LabNode, row: Row, field: string, parsable: boolean): string {
  const { ds, snap } = row;
  const size = (n: number | null) => (n === null ? "-" : parsable ? String(n) : nicenum(n));
  switch (ALIASES[field] ?? field) {
    case "name":
      return snap ? `${ds.name}@${snap.name}` : ds.name;
    case "type":
      return snap ? "snapshot" : ds.type;
    case "guid":
      return snap ? snap.guid : ds.guid;
    case "creation": {
      const epoch = snap ? snap.creation : ds.creation;
      // Without -p zfs prints ctime() without seconds: `Wed Mar 11 14:00 2026`.
      return parsable ? String(epoch) : ctime(epoch).replace(/:\d\d (\d{4})$/, " $1");
    }
    case "used":
      return size(snap ? snap.used : usedOf(node, ds));
    case "avail":
      return snap ? "-" : size(availIn(node, poolOf(ds.name)));
    case "refer":
      return size(ds.referenced);
    case "volsize":
      return size(ds.volsize);
    case "written":
      return snap ? "-" : size(ds.written);
    case "mountpoint":
      return snap || ds.type === "volume" ? "-" : `/${ds.name}`;
    case "origin":
      return "-";
    case "refquota":
      return snap || ds.type === "volume" ? "-" : parsable ? "0" : "none";
    default:
      return "-";
  }
}

function parseTypes(text: string | undefined): Set<string> | null {
  if (text === undefined) return new Set(["filesystem", "volume"]);
  const types = new Set<string>();
  for (const t of text.split(",")) {
    if (t === "all") for (const a of ["filesystem", "volume", "snapshot"]) types.add(a);
    else if (["filesystem", "fs"].includes(t)) types.add("filesystem");
    else if (["volume", "vol"].includes(t)) types.add("volume");
    else if (["snapshot", "snap"].includes(t)) types.add("snapshot");
    else return null;
  }
  return types;
}

function rowsOf(d: LabZfsDataset, types: Set<string>): Row[] {
  const rows: Row[] = types.has(d.type) ? [{ ds: d, snap: null }] : [];
  if (types.has("snapshot")) {
    const snaps = [...d.snapshots].sort((a, b) => a.creation - b.creation);
    rows.push(...snaps.map((snap) => ({ ds: d, snap })));
  }
  return rows;
}

function depthBelow(parent: string, child: string): number {
  return child === parent ? 0 : child.slice(parent.length + 1).split("/").length;
}

function list(ctx: CommandContext, args: string[]): ReturnType<CommandHandler> {
  const opts = getopt(args, "Hpr", "otds");
  if (opts.unknown || opts.values.has("s")) return unsupported(ctx);
  const fields = (opts.values.get("o") ?? "name,used,avail,refer,mountpoint").split(",");
  const bad = fields.find((f) => !FIELDS.has(f));
  if (bad) return fail(`bad property list: invalid property '${bad}'`, 2);
  const types = parseTypes(opts.values.get("t"));
  if (!types) return fail(`invalid type '${opts.values.get("t")}'`, 2);
  const depth = opts.values.has("d") ? Number(opts.values.get("d")) : opts.flags.has("r") ? Infinity : null;
  const node = ctx.node;
  const sorted = [...node.zfs.datasets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows: Row[] = [];
  let stderr = "";
  let exitCode = 0;
  if (opts.operands.length === 0) {
    for (const d of sorted) rows.push(...rowsOf(d, types));
  }
  for (const name of opts.operands) {
    const [dsName = "", snapName] = name.split("@");
    const d = findDataset(node, dsName);
    const snap = snapName === undefined ? null : (d?.snapshots.find((s) => s.name === snapName) ?? null);
    if (!d || (snapName !== undefined && !snap)) {
      stderr += `${DOES_NOT_EXIST(name)}\n`;
      exitCode = 1;
      continue;
    }
    if (snap) {
      rows.push({ ds: d, snap });
      continue;
    }
    // `zfs list -t snapshot <fs>` lists the snapshots of <fs> (OpenZFS ≥ 0.8), -r/-d its children's too.
    const limit = depth ?? 0;
    for (const c of sorted.filter((c) => c.name === d.name || c.name.startsWith(`${d.name}/`))) {
      if (depthBelow(d.name, c.name) <= limit) rows.push(...rowsOf(c, types));
    }
  }
  const parsable = opts.flags.has("p");
  const table = rows.map((r) => fields.map((f) => value(node, r, f, parsable)));
  if (opts.flags.has("H"))
    return { stdout: table.map((r) => `${r.join("\t")}\n`).join(""), stderr, exitCode };
  if (rows.length === 0 && opts.operands.length === 0)
    return { stdout: "", stderr: "no datasets available\n", exitCode };
  const header = fields.map((f) => (ALIASES[f] ?? f).toUpperCase());
  return { stdout: padded([header, ...table], fields), stderr, exitCode };
}

function padded(lines: string[][], fields: string[]): string {
  const widths = fields.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? "").length)));
  const right = (i: number) => SIZE_FIELDS.has(fields[i] ?? "");
  return lines
    .map((l) =>
      l
        .map((cell, i) =>
          // zfs_main.c print_header/print_dataset: numeric columns are right-justified, headers too.
          right(i) ? cell.padStart(widths[i] ?? 0) : i === l.length - 1 ? cell : cell.padEnd(widths[i] ?? 0),
        )
        .join("  ")
        .trimEnd(),
    )
    .map((l) => `${l}\n`)
    .join("");
}

function rename(ctx: CommandContext, args: string[]): ReturnType<CommandHandler> {
  const opts = getopt(args, "", "");
  if (opts.unknown || opts.operands.length !== 2) return unsupported(ctx);
  const [from = "", to = ""] = opts.operands;
  const error = renameDataset(ctx.state, ctx.node, from, to);
  return error === null ? ok() : fail(error);
}

function destroy(ctx: CommandContext, args: string[]): ReturnType<CommandHandler> {
  const opts = getopt(args, "r", "");
  if (opts.unknown || opts.operands.length !== 1) return unsupported(ctx);
  const name = opts.operands[0] ?? "";
  const d = findDataset(ctx.node, name);
  if (!d || name.includes("@")) return fail(DOES_NOT_EXIST(name));
  if (!opts.flags.has("r") && d.snapshots.length > 0) {
    const kind = d.type === "volume" ? "volume" : "filesystem";
    const list = d.snapshots.map((s) => `${d.name}@${s.name}\n`).join("");
    return fail(
      `cannot destroy '${name}': ${kind} has children\nuse '-r' to destroy the following datasets:\n${list}`,
    );
  }
  destroyDataset(ctx.state, ctx.node, name);
  return ok();
}

const zfs: CommandHandler = (ctx) => {
  const [sub, ...args] = ctx.argv.slice(1);
  if (ctx.node.zfs.pools.length === 0)
    return fail("The ZFS modules are not loaded.\nTry running 'modprobe zfs' as root to load them.");
  if (sub === "list") return list(ctx, args);
  if (sub === "rename") return rename(ctx, args);
  if (sub === "destroy") return destroy(ctx, args);
  return unsupported(ctx);
};

const POOL_FIELDS = new Set(["name", "size", "alloc", "allocated", "free", "cap", "capacity", "health"]);

/** `zpool list [-H] [-p] [-o fields] [pool…]`; the default columns are not simulated. */
const zpool: CommandHandler = (ctx) => {
  const [sub, ...args] = ctx.argv.slice(1);
  if (sub !== "list") return unsupported(ctx);
  const opts = getopt(args, "Hp", "o");
  const fieldText = opts.values.get("o");
  if (opts.unknown || fieldText === undefined) return unsupported(ctx);
  const fields = fieldText.split(",");
  const bad = fields.find((f) => !POOL_FIELDS.has(f));
  if (bad) return fail(`property '${bad}' is not a valid pool property`, 2);
  const pools =
    opts.operands.length === 0 ? ctx.node.zfs.pools : opts.operands.map((n) => findPool(ctx.node, n));
  const missing = opts.operands.find((n) => !findPool(ctx.node, n));
  if (missing) return fail(`cannot open '${missing}': no such pool`);
  if (pools.length === 0) return ok("no pools available\n");
  const parsable = opts.flags.has("p");
  const rows = pools.flatMap((p) => {
    if (!p) return [];
    const alloc = ctx.node.zfs.datasets
      .filter((d) => poolOf(d.name) === p.name)
      .reduce((sum, d) => sum + d.referenced + d.snapshots.reduce((s, x) => s + x.used, 0), 0);
    const size = (n: number) => (parsable ? String(n) : nicenum(n));
    const cap = Math.floor((alloc * 100) / p.size);
    const cell: Record<string, string> = {
      name: p.name,
      size: size(p.size),
      alloc: size(alloc),
      allocated: size(alloc),
      free: size(p.size - alloc),
      cap: parsable ? String(cap) : `${cap}%`,
      capacity: parsable ? String(cap) : `${cap}%`,
      health: p.health,
    };
    return [fields.map((f) => cell[f] ?? "-")];
  });
  if (opts.flags.has("H")) return ok(rows.map((r) => `${r.join("\t")}\n`).join(""));
  const header = fields.map((f) => f.toUpperCase());
  return ok(
    padded(
      [header, ...rows],
      fields.map((f) => (["name", "health"].includes(f) ? "name" : "used")),
    ),
  );
};

export const zfsCommands: Record<string, CommandHandler> = { zfs, zpool };
