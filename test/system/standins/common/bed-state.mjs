/**
 * What the stand-ins share: the node they run on, the node-private state under /run/pvefix-bed
 * (each test-bed node has its own /run), Proxmox's way of failing, and PVE's atomic config write.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";

export const BED_RUN = "/run/pvefix-bed";

/** sshd's SetEnv names the node (loopback bed); in the namespace bed the hostname is right too. */
export const nodeName = process.env.LAB_NODE || hostname();

/** PVE's CLI tools die with a message on stderr and exit 255. */
export function die(message) {
  process.stderr.write(`${message}\n`);
  process.exit(255);
}

export function readOrNull(path) {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return null;
    throw error;
  }
}

/** Ask the node's own `pvecm status` (stand-in or real corosync): exit 0 means quorate. */
export function quorate() {
  return spawnSync("pvecm", ["status"], { stdio: "ignore" }).status === 0;
}

/**
 * PVE::Tools::file_set_contents: `<file>.tmp.<pid>`, then rename. pmxcfs refuses writes without
 * quorum with EACCES, and PVE names the temp file in the message.
 */
export function writePveFile(path, text) {
  const tmp = `${path}.tmp.${process.pid}`;
  if (path.startsWith("/etc/pve/") && !quorate()) die(`unable to open file '${tmp}' - Permission denied`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Guests this node runs: `/run/pvefix-bed/running`, one `<vmid> <pid>` per line. */
export function runningGuests() {
  const text = readOrNull(`${BED_RUN}/running`) ?? "";
  const running = new Map();
  for (const line of text.split("\n")) {
    const [vmid, pid] = line.trim().split(/\s+/);
    if (vmid) running.set(Number(vmid), Number(pid ?? 0));
  }
  return running;
}
