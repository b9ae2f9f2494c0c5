/**
 * Stand-in for `pvesm status [--storage ID]` on a test-bed node (proxmox-facts §8.2): the PVE 9
 * table (`Total (KiB)` header), reasons on stderr, exit 0 even for inactive storages. Like
 * PVE::Storage it activates what it lists: a network storage that is not mounted gets a fresh
 * tmpfs named after its server:export (and its hung marker is cleared); one that is mounted but
 * marked hung is `inactive` with the "does not exist or is unreachable" reason.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statfsSync } from "node:fs";
import { BED_RUN, die, nodeName, readOrNull } from "./bed-state.mjs";

const NETWORK = new Set(["nfs", "cifs", "glusterfs", "cephfs"]);

function storages() {
  const text = readOrNull("/etc/pve/storage.cfg") ?? "";
  const list = [];
  let current = null;
  for (const line of text.split("\n")) {
    const header = /^([a-z][a-z0-9]*):\s*(\S+)\s*$/.exec(line);
    if (header) {
      current = { type: header[1], id: header[2], props: {} };
      list.push(current);
    } else if (current && /^\s+\S/.test(line)) {
      const [key, ...value] = line.trim().split(/\s+/);
      current.props[key] = value.join(" ");
    } else if (line.trim() === "") current = null;
  }
  return list.filter((s) => !s.props.nodes || s.props.nodes.split(",").includes(nodeName));
}

function mounted(path) {
  const mounts = readOrNull("/proc/self/mounts") ?? "";
  return mounts.split("\n").some((line) => line.split(" ")[1] === path);
}

function usage(path) {
  const fs = statfsSync(path);
  const total = Math.floor((fs.blocks * fs.bsize) / 1024);
  const free = Math.floor((fs.bavail * fs.bsize) / 1024);
  return { total, used: total - free };
}

function activate(s, warnings) {
  const row = { id: s.id, type: s.type, status: "inactive", total: 0, used: 0 };
  if (s.props.disable !== undefined) return { ...row, status: "disabled" };
  // Local storages (dir, LVM, ZFS) are not what the bed is about: they are simply active.
  if (!NETWORK.has(s.type)) return { ...row, status: "active", total: 104857600, used: 20971520 };
  const path = s.props.path ?? `/mnt/pve/${s.id}`;
  const marker = `${BED_RUN}/hung/${s.id}`;
  if (!mounted(path)) {
    const source =
      s.type === "cifs" ? `//${s.props.server}/${s.props.share}` : `${s.props.server}:${s.props.export}`;
    mkdirSync(path, { recursive: true });
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64m,mode=0755", source, path], {
      encoding: "utf8",
    });
    if (mount.status !== 0) {
      warnings.push(`mount error: ${mount.stderr.trim()}`);
      return row;
    }
    rmSync(marker, { force: true });
  } else if (readOrNull(marker) !== null) {
    warnings.push(
      `unable to activate storage '${s.id}' - directory '${path}' does not exist or is unreachable`,
    );
    return row;
  }
  return { ...row, status: "active", ...usage(path) };
}

const [sub, ...args] = process.argv.slice(2);
if (sub !== "status" || !(args.length === 0 || (args.length === 2 && args[0] === "--storage"))) {
  die(
    `ERROR: unknown command 'pvesm ${process.argv.slice(2).join(" ")}' (this test-bed stand-in knows 'status [--storage ID]')`,
  );
}
let list = storages();
if (args[1] !== undefined) {
  list = list.filter((s) => s.id === args[1]);
  if (list.length === 0) die(`storage '${args[1]}' does not exist`);
}
const warnings = [];
const rows = list.map((s) => activate(s, warnings)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
for (const w of warnings) process.stderr.write(`${w}\n`);
const width = Math.max(0, ...rows.map((r) => r.id.length)) + 1;
const line = (c, pct) =>
  `${c[0].padEnd(width)} ${c[1].padStart(10)} ${c[2].padStart(10)} ${c[3].padStart(15)} ${c[4].padStart(15)} ${c[5].padStart(15)} ${pct}\n`;
let out = line(["Name", "Type", "Status", "Total (KiB)", "Used (KiB)", "Available (KiB)"], "%".padStart(8));
for (const r of rows) {
  const pct =
    r.status === "disabled"
      ? "N/A".padStart(8)
      : `${` ${(r.total > 0 ? (r.used * 100) / r.total : 0).toFixed(2)}`.padStart(7)}%`;
  out += line([r.id, r.type, r.status, String(r.total), String(r.used), String(r.total - r.used)], pct);
}
process.stdout.write(out);
