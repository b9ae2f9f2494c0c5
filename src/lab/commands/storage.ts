/**
 * pvesm status (PVE 9 header with (KiB); reasons on stderr, never an `unknown` status), mount and
 * umount. Activation follows PVE::Storage: connection check (server down → "is not online"),
 * mount if needed, then the 2-second `-d path` test that a hung mount fails. `bash -c
 * '</dev/tcp/HOST/PORT'` is the TCP connect pvefix uses to ask whether a storage server answers.
 */
import { FsError } from "../fs/errors.js";
import { normalizePath } from "../fs/paths.js";
import {
  enabledOn,
  isNetworkStorage,
  kernelMount,
  type LabStorage,
  mountInUse,
  readStorageCfg,
  serverUp,
  storageMount,
  storagePath,
  storageUsage,
} from "../model/storage.js";
import { getopt } from "./args.js";
import { pmxcfsUnavailable } from "./pve-env.js";
import { type CommandContext, type CommandHandler, fail, HANG, ok, unsupported } from "./types.js";

interface Row {
  id: string;
  type: string;
  status: "active" | "inactive" | "disabled";
  total: number;
  used: number;
}

function storages(ctx: CommandContext): LabStorage[] {
  try {
    return readStorageCfg(ctx.fs.read("/etc/pve/storage.cfg"));
  } catch (error) {
    if (error instanceof FsError) return [];
    throw error;
  }
}

function activate(ctx: CommandContext, storage: LabStorage): { row: Row; warning?: string } {
  const base = { id: storage.id, type: storage.type };
  if (storage.props.disable !== undefined) return { row: { ...base, status: "disabled", total: 0, used: 0 } };
  if (isNetworkStorage(storage)) {
    const inactive: Row = { ...base, status: "inactive", total: 0, used: 0 };
    const server = storage.props.server ?? "";
    if (!serverUp(ctx.state, server))
      return { row: inactive, warning: `storage '${storage.id}' is not online` };
    const path = storagePath(storage) ?? "";
    let mount = ctx.node.mounts.findLast((m) => m.mountpoint === path);
    if (!mount) {
      if (!ctx.node.dirs.includes(path)) ctx.node.dirs.push(path);
      mount = storageMount(ctx.state, ctx.node, storage);
      ctx.node.mounts.push(mount);
    }
    if (mount.hung) {
      return {
        row: inactive,
        warning: `unable to activate storage '${storage.id}' - directory '${path}' does not exist or is unreachable`,
      };
    }
  }
  return { row: { ...base, status: "active", ...storageUsage(ctx.state, storage.id) } };
}

const pvesm: CommandHandler = (ctx) => {
  const [sub, ...args] = ctx.argv.slice(1);
  if (sub !== "status") return unsupported(ctx);
  const only = args[0] === "--storage" && args.length === 2 ? args[1] : undefined;
  if (args.length > 0 && only === undefined) return unsupported(ctx);
  const down = pmxcfsUnavailable(ctx);
  if (down) return down;
  let list = storages(ctx).filter((s) => enabledOn(s, ctx.node.name));
  if (only !== undefined) {
    list = list.filter((s) => s.id === only);
    if (list.length === 0) return fail(`storage '${only}' does not exist`, 255);
  }
  const results = list.map((s) => activate(ctx, s));
  const rows = results.map((r) => r.row).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const maxlen = Math.max(0, ...rows.map((r) => r.id.length)) + 1;
  const line = (cells: string[], pct: string) =>
    `${(cells[0] ?? "").padEnd(maxlen)} ${(cells[1] ?? "").padStart(10)} ${(cells[2] ?? "").padStart(10)} ` +
    `${(cells[3] ?? "").padStart(15)} ${(cells[4] ?? "").padStart(15)} ${(cells[5] ?? "").padStart(15)} ${pct}\n`;
  let out = line(["Name", "Type", "Status", "Total (KiB)", "Used (KiB)", "Available (KiB)"], "%".padStart(8));
  for (const r of rows) {
    const pct =
      r.status === "disabled"
        ? "N/A".padStart(8)
        : `${` ${(r.total > 0 ? (r.used * 100) / r.total : 0).toFixed(2)}`.padStart(7)}%`;
    out += line([r.id, r.type, r.status, String(r.total), String(r.used), String(r.total - r.used)], pct);
  }
  const stderr = results.flatMap((r) => (r.warning ? [`${r.warning}\n`] : [])).join("");
  return { stdout: out, stderr, exitCode: 0 };
};

const mount: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "", "to");
  if (opts.operands.length === 0 && !opts.unknown && opts.values.size === 0) {
    return ok(
      ctx.node.mounts.map((m) => `${m.source} on ${m.mountpoint} type ${m.fstype} (${m.options})\n`).join(""),
    );
  }
  const fstype = opts.values.get("t");
  const [source = "", target = ""] = opts.operands;
  if (opts.unknown || !fstype || !/^(nfs|nfs4|cifs)$/.test(fstype) || opts.operands.length !== 2)
    return unsupported(ctx);
  const mountpoint = normalizePath(target);
  if (ctx.fs.kind(mountpoint) !== "dir") return fail(`mount: ${target}: mount point does not exist.`, 32);
  if (ctx.node.mounts.some((m) => m.mountpoint === mountpoint && m.source === source)) {
    return fail(`mount.${fstype}: ${target} is busy or already mounted`, 32);
  }
  ctx.node.mounts.push(
    kernelMount(ctx.state, ctx.node, { fstype, source, mountpoint, options: opts.values.get("o") ?? "" }),
  );
  return ok();
};

const umount: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "nlfrv");
  if (opts.unknown || opts.operands.length !== 1) return unsupported(ctx);
  const arg = opts.operands[0] ?? "";
  const abs = normalizePath(arg);
  const index = ctx.node.mounts.findLastIndex((m) => m.mountpoint === abs || m.source === arg);
  const found = ctx.node.mounts[index];
  if (!found) {
    const exists = safeKind(ctx, abs) !== null;
    return fail(`umount: ${arg}: ${exists ? "not mounted." : "no mount point specified."}`, 32);
  }
  const lazy = opts.flags.has("l");
  const busy = mountInUse(
    ctx.state,
    ctx.node,
    readStorageCfg(ctx.state.pve["storage.cfg"] ?? ""),
    found.mountpoint,
  );
  if (!lazy && found.hung && !opts.flags.has("f")) return HANG;
  if (!lazy && busy) {
    const tool = found.fstype.startsWith("nfs") ? `umount.${found.fstype}` : "umount";
    return fail(
      `${tool}: ${found.mountpoint}: ${tool === "umount" ? "target is busy." : "device is busy"}`,
      32,
    );
  }
  ctx.node.mounts.splice(index, 1);
  return ok();
};

/**
 * Only the one bash script pvefix sends: a TCP connect through bash's /dev/tcp. A server that is
 * down never answers the SYN, so the connect hangs until `timeout` kills it (exit 137), as on a
 * real node; a server that is up accepts, and bash exits 0 without output.
 */
const bash: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  const tcp =
    args.length === 2 && args[0] === "-c" ? /^<\/dev\/tcp\/([^/\s]+)\/(\d+)$/.exec(args[1] ?? "") : null;
  if (!tcp) return unsupported(ctx);
  return serverUp(ctx.state, tcp[1] ?? "") ? ok() : HANG;
};

function safeKind(ctx: CommandContext, path: string): string | null {
  try {
    return ctx.fs.kind(path);
  } catch {
    return "dir"; // below a hung mount: it exists, we just cannot look
  }
}

export const storageCommands: Record<string, CommandHandler> = { pvesm, mount, umount, bash };
