/**
 * Stand-in for `qm` and `pct` on a test-bed node: list, config, status, unlock and
 * `set <id> --lock X | --delete lock`, with Proxmox's semantics (proxmox-facts §5.2, §5.4):
 * only on the owning node; `pct unlock` fails without a lock, `qm unlock` succeeds silently;
 * neither looks at running tasks; config writes need quorum. The config is rewritten the way
 * PVE writes it (description first, main-section keys sorted, other sections untouched), so
 * removing and re-adding `lock:` gives back the same bytes.
 */
import { readdirSync } from "node:fs";
import { die, nodeName, readOrNull, runningGuests, writePveFile } from "./bed-state.mjs";

const [tool, sub, ...args] = process.argv.slice(2);
const ct = tool === "pct";
const dir = `nodes/${nodeName}/${ct ? "lxc" : "qemu-server"}`;
const label = ct ? "CT" : "VM";

function split(text) {
  const lines = text.split("\n");
  const header = lines.findIndex((l) => /^\[[^\]]+\]\s*$/.test(l));
  let end = header === -1 ? lines.length : header;
  while (end > 0 && lines[end - 1] === "") end--;
  const description = [];
  const keys = [];
  for (const line of lines.slice(0, end)) {
    if (line.startsWith("#")) description.push(line);
    const kv = /^([a-z][a-z0-9_-]*):\s?(.*)$/.exec(line);
    if (kv) keys.push([kv[1], kv[2]]);
  }
  return { description, keys, tail: header === -1 ? "" : lines.slice(end).join("\n") };
}

function join({ description, keys, tail }) {
  const sorted = [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}: ${v}`);
  const main = [...description, ...sorted];
  const body = main.length > 0 ? `${main.join("\n")}\n` : "";
  return tail ? `${body}${tail.replace(/^\n*/, "\n")}` : body;
}

function load(vmid) {
  if (!/^\d+$/.test(vmid ?? "")) {
    die(`400 Parameter verification failed.\nvmid: type check ('integer') failed - got '${vmid ?? ""}'`);
  }
  const rel = `${dir}/${vmid}.conf`;
  const text = readOrNull(`/etc/pve/${rel}`);
  if (text === null) die(`Configuration file '${rel}' does not exist`);
  return { vmid: Number(vmid), path: `/etc/pve/${rel}`, parts: split(text) };
}

const lockOf = (parts) => parts.keys.find(([k]) => k === "lock")?.[1] ?? null;

function withLock(parts, lock) {
  const keys = parts.keys.filter(([k]) => k !== "lock");
  if (lock !== null) keys.push(["lock", lock]);
  return { ...parts, keys };
}

function localGuests() {
  let files = [];
  try {
    files = readdirSync(`/etc/pve/${dir}`).filter((f) => /^\d+\.conf$/.test(f));
  } catch {}
  return files
    .map((f) => Number.parseInt(f, 10))
    .sort((a, b) => a - b)
    .map((vmid) => ({ vmid, keys: Object.fromEntries(load(String(vmid)).parts.keys) }));
}

function list() {
  const guests = localGuests();
  if (guests.length === 0) return;
  const running = runningGuests();
  if (ct) {
    const row = (...c) => `${c[0].padEnd(10)} ${c[1].padEnd(10)} ${c[2].padEnd(12)} ${c[3].padEnd(20)}\n`;
    let out = row("VMID", "Status", "Lock", "Name");
    for (const g of guests) {
      const status = running.has(g.vmid) ? "running" : "stopped";
      out += row(String(g.vmid), status, g.keys.lock ?? "", g.keys.hostname ?? `CT${g.vmid}`);
    }
    process.stdout.write(out);
    return;
  }
  const row = (...c) =>
    `${c[0].padStart(10)} ${c[1].padEnd(20)} ${c[2].padEnd(10)} ${c[3].padEnd(10)} ${c[4].padStart(12)} ${c[5].padEnd(10)}\n`;
  let out = row("VMID", "NAME", "STATUS", "MEM(MB)", "BOOTDISK(GB)", "PID");
  for (const g of guests) {
    const pid = running.get(g.vmid);
    const bootKey = /order=([^;,]+)/.exec(g.keys.boot ?? "")?.[1] ?? "";
    const size = /size=(\d+)G/.exec(g.keys[bootKey] ?? "")?.[1] ?? "0";
    out += row(
      String(g.vmid),
      g.keys.name ?? `VM ${g.vmid}`,
      pid === undefined ? "stopped" : "running",
      g.keys.memory ?? "512",
      Number(size).toFixed(2),
      String(pid ?? 0),
    );
  }
  process.stdout.write(out);
}

function unlock(vmid) {
  const guest = load(vmid);
  if (ct && lockOf(guest.parts) === null) die("no lock found trying to remove any lock");
  writePveFile(guest.path, join(withLock(guest.parts, null)));
}

function set(vmid, options) {
  let lock;
  let skiplock = false;
  for (let i = 0; i < options.length; i++) {
    if (options[i] === "--lock" && /^[a-z-]+$/.test(options[i + 1] ?? "")) lock = options[++i];
    else if (options[i] === "--delete" && options[i + 1] === "lock") {
      lock = null;
      i++;
    } else if (options[i] === "--skiplock" && !ct) skiplock = true;
    else die(`400 unable to parse option '${options[i]}' (stand-in: only --lock, --delete lock, --skiplock)`);
  }
  if (lock === undefined) die("400 no options specified");
  const guest = load(vmid);
  const current = lockOf(guest.parts);
  if (current !== null && !skiplock) die(`${label} is locked (${current})`);
  writePveFile(guest.path, join(withLock(guest.parts, lock)));
  if (!ct)
    process.stdout.write(`update VM ${guest.vmid}: ${lock === null ? "-delete lock" : `-lock ${lock}`}\n`);
}

function config(vmid) {
  const { parts } = load(vmid);
  const keys = Object.fromEntries(parts.keys);
  if (parts.description.length > 0) keys.description = parts.description.map((l) => l.slice(1)).join("%0A");
  for (const key of Object.keys(keys).sort()) process.stdout.write(`${key}: ${keys[key]}\n`);
}

function status(vmid) {
  const guest = load(vmid);
  process.stdout.write(`status: ${runningGuests().has(guest.vmid) ? "running" : "stopped"}\n`);
}

switch (sub) {
  case "list":
    list();
    break;
  case "unlock":
    unlock(args[0]);
    break;
  case "set":
    set(args[0], args.slice(1));
    break;
  case "config":
    config(args[0]);
    break;
  case "status":
    status(args[0]);
    break;
  default:
    die(
      `ERROR: unknown command '${tool} ${[sub, ...args].join(" ")}' (this test-bed stand-in knows list, config, status, unlock, set)`,
    );
}
