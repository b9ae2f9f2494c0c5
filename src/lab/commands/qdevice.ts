/**
 * The QDevice commands as a PVE 9 node runs them: `corosync-qdevice-tool -s`, `pvecm qdevice
 * setup|remove` (pve-cluster src/PVE/CLI/pvecm.pm, with what each changes) and `ssh root@<qnetd>`
 * to the qnetd host, the one host outside the cluster a node reaches.
 */
import { readCorosyncConf } from "../model/corosync-conf.js";
import {
  bumpVersion,
  QDEVICE_CERT_STORE,
  QDEVICE_UNIT,
  QNETD_UNIT,
  qdeviceRegistered,
  qdeviceToolStatus,
  withDevice,
  withoutDevice,
} from "../model/qdevice.js";
import { partitionOf } from "../model/quorum.js";
import type { LabNode, LabQnetd, LabState } from "../state.js";
import {
  type CommandContext,
  type CommandHandler,
  type CommandOutput,
  fail,
  ok,
  unsupported,
} from "./types.js";

const PVE_CONF = "/etc/pve/corosync.conf";

const qdeviceTool: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  if (args.length !== 1 || args[0] !== "-s") return unsupported(ctx);
  if (!qdeviceRegistered(ctx.node))
    return fail(
      "corosync-qdevice-tool: Can't connect to QDevice socket (is QDevice running?): No such file or directory",
      3,
    );
  return ok(qdeviceToolStatus(ctx.state, ctx.node));
};

/** What the qnetd host answers to a command run there over SSH. */
function onQnetd(qnetd: LabQnetd, command: string[]): CommandOutput {
  const [tool, verb, unit] = command;
  if (tool === "true" && command.length === 1) return ok();
  if (tool === "systemctl" && command.length === 3 && unit?.replace(/\.service$/, "") === QNETD_UNIT) {
    if (verb === "is-active") {
      const state = qnetd.service ?? "inactive";
      return { stdout: `${state}\n`, stderr: "", exitCode: state === "active" ? 0 : qnetd.service ? 3 : 4 };
    }
    if (qnetd.service === null)
      return fail(`Failed to ${verb} ${QNETD_UNIT}.service: Unit ${QNETD_UNIT}.service not found.`, 5);
    if (verb === "start" || verb === "restart") qnetd.service = "active";
    else if (verb === "stop") qnetd.service = "inactive";
    else return fail(`Unknown command verb '${verb}'.`, 1);
    return ok();
  }
  return fail(`bash: line 1: ${tool}: command not found`, 127);
}

/** Can `node` open `ssh -o BatchMode=yes root@addr`? null when it can, else ssh's error and exit 255. */
function sshTo(state: LabState, node: LabNode, addr: string, user: string): CommandOutput | null {
  const qnetd = state.qnetd;
  if (!qnetd || qnetd.ip !== addr) return fail(`ssh: connect to host ${addr} port 22: No route to host`, 255);
  if (!qnetd.up) return fail(`ssh: connect to host ${addr} port 22: Connection timed out`, 255);
  if (user !== "root" || !qnetd.trusts.includes(node.name))
    return fail(`${user}@${addr}: Permission denied (publickey,password).`, 255);
  return null;
}

const VALUE_OPTIONS = new Set(["-o", "-l", "-p", "-i", "-F", "-J"]);

/** `ssh [-o opt]… [-l user] [user@]host [--] command…`; only BatchMode sessions (no password prompt). */
const ssh: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  let user = "root";
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_OPTIONS.has(a)) {
      if (a === "-l") user = args[i + 1] ?? user;
      i++;
    } else if (/^-[TnqxaC]+$/.test(a)) {
    } else break;
  }
  const dest = args[i];
  if (dest === undefined) return unsupported(ctx);
  const at = dest.lastIndexOf("@");
  const host = at >= 0 ? dest.slice(at + 1) : dest;
  if (at >= 0) user = dest.slice(0, at);
  let command = args.slice(i + 1);
  if (command[0] === "--") command = command.slice(1);
  if (command.length === 0) return unsupported(ctx);
  const refused = sshTo(ctx.state, ctx.node, host, user);
  if (refused) return refused;
  return onQnetd(ctx.state.qnetd!, command);
};

function offline(ctx: CommandContext, conf: string): string | null {
  const members = new Set((partitionOf(ctx.state, ctx.node) ?? []).map((n) => n.name));
  const missing = readCorosyncConf(conf)
    .nodes.map((n) => n.name)
    .filter((n) => !members.has(n));
  return missing.length > 0
    ? `All nodes must be online! Node ${missing.sort()[0]} is offline, aborting.`
    : null;
}

function memberNodes(ctx: CommandContext): LabNode[] {
  return partitionOf(ctx.state, ctx.node) ?? [ctx.node];
}

function setup(ctx: CommandContext, conf: string, args: string[]): CommandOutput {
  const force = args.includes("--force") || args.includes("-f");
  const addr = args.find((a) => !a.startsWith("-"));
  if (!addr || !/^\d{1,3}(\.\d{1,3}){3}$/.test(addr))
    return fail(
      `400 Parameter verification failed.\naddress: invalid format - value does not look like a valid IP address\n`,
      255,
    );
  const down = offline(ctx, conf);
  if (down) return fail(down, 255);
  const parsed = readCorosyncConf(conf);
  if (parsed.device && !force) return fail("QDevice already configured!", 255);
  let algorithm = "ffsplit";
  if (parsed.nodes.length % 2 === 1) {
    if (!force) return fail("Clusters with an odd node count are not officially supported!", 255);
    algorithm = "lms";
  }
  const refused = sshTo(ctx.state, ctx.node, addr, "root");
  if (refused)
    return {
      ...refused,
      exitCode: 255,
      stderr: `${refused.stderr}command 'ssh-copy-id -i /root/.ssh/id_rsa root@${addr}' failed: exit code 1\n`,
    };
  if (ctx.node.dirs.includes(QDEVICE_CERT_STORE) && !force)
    return fail("QDevice certificate store already initialised, set force to delete!", 255);
  const qnetd = ctx.state.qnetd!;
  let out = "\nINFO: initializing qnetd server\n";
  if (qnetd.service === null) {
    return fail(
      `bash: line 1: corosync-qnetd-certutil: command not found\nscp: /etc/corosync/qnetd/nssdb/qnetd-cacert.crt: No such file or directory\ncommand 'scp -o BatchMode=yes root@[${addr}]:/etc/corosync/qnetd/nssdb/qnetd-cacert.crt /etc/pve/qnetd-cacert.crt' failed: exit code 1`,
      255,
      out,
    );
  }
  out += "\nINFO: copying CA cert and initializing on all nodes\n";
  const nodes = memberNodes(ctx);
  for (const n of nodes) {
    if (!n.dirs.includes(QDEVICE_CERT_STORE)) n.dirs.push(QDEVICE_CERT_STORE);
    out += `\nnode '${n.name}': Creating /etc/corosync/qdevice/net/nssdb\n`;
  }
  const cluster = parsed.clusterName ?? "";
  if (!qnetd.clusters.includes(cluster)) qnetd.clusters.push(cluster);
  out += "\nINFO: generating cert request\n\nINFO: copying exported cert request to qnetd server\n";
  out += "\nINFO: sign and export cluster cert\n\nINFO: copy exported CRT\n\nINFO: import certificate\n";
  out += "\nINFO: copy and import pk12 cert to all nodes\n\nINFO: add QDevice to cluster configuration\n";
  ctx.fs.write(PVE_CONF, bumpVersion(withDevice(conf, addr, algorithm)), { append: false });
  for (const n of nodes) {
    out += `\nINFO: start and enable corosync qdevice daemon on node '${n.name}'...\n`;
    if (!(QDEVICE_UNIT in n.services))
      return fail(
        `Failed to start ${QDEVICE_UNIT}.service: Unit ${QDEVICE_UNIT}.service not found.`,
        255,
        out,
      );
    n.services[QDEVICE_UNIT] = "active";
  }
  return ok(out);
}

function remove(ctx: CommandContext, conf: string): CommandOutput {
  const down = offline(ctx, conf);
  if (down) return fail(down, 255);
  if (!readCorosyncConf(conf).device) return fail("No QDevice configured!", 255);
  ctx.fs.write(PVE_CONF, bumpVersion(withoutDevice(conf)), { append: false });
  for (const n of memberNodes(ctx)) {
    n.dirs = n.dirs.filter((d) => d !== "/etc/corosync/qdevice" && !d.startsWith("/etc/corosync/qdevice/"));
    for (const path of Object.keys(n.files))
      if (path.startsWith("/etc/corosync/qdevice/")) delete n.files[path];
    if (QDEVICE_UNIT in n.services) n.services[QDEVICE_UNIT] = "inactive";
  }
  return ok("\nRemoved Qdevice.\n");
}

/** `pvecm qdevice …`; `conf` is /etc/pve/corosync.conf (null when pmxcfs has none). */
export function pvecmQdevice(ctx: CommandContext, args: string[], conf: string | null): CommandOutput {
  if (conf === null)
    return fail(
      "Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?",
      255,
    );
  const [sub, ...rest] = args;
  if (sub === "setup") return setup(ctx, conf, rest);
  if (sub === "remove" && rest.length === 0) return remove(ctx, conf);
  return unsupported(ctx);
}

export const qdeviceCommands: Record<string, CommandHandler> = {
  "corosync-qdevice-tool": qdeviceTool,
  ssh,
};
