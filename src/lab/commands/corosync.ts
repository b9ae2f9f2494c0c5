/** pvecm (status, nodes, expected), corosync-quorumtool and corosync-cfgtool as a PVE 9 node prints them. */
import { FsError } from "../fs/errors.js";
import { readCorosyncConf } from "../model/corosync-conf.js";
import { cfgtoolNodesText } from "../model/knet.js";
import {
  corosyncRunning,
  knetLinksOf,
  knetLinkUp,
  quorumFor,
  quorumView,
  reloadCorosync,
  runningConf,
} from "../model/quorum.js";
import type { LabNode, LabState } from "../state.js";
import { corosyncCmapctl } from "./cmap.js";
import { pvecmQdevice } from "./qdevice.js";
import { membership, type QuorumFormat, quorumStatus } from "./quorum-output.js";
import {
  type CommandContext,
  type CommandHandler,
  type CommandOutput,
  fail,
  ok,
  unsupported,
} from "./types.js";

const CMAP_DOWN = "Cannot initialize CMAP service";
const NO_CONF =
  "Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?";

function status(state: LabState, node: LabNode, format: QuorumFormat, prefix = ""): CommandOutput {
  const view = quorumView(state, node);
  if (!view) return fail(CMAP_DOWN, 1, prefix);
  return {
    stdout: prefix + quorumStatus(state, view, node, format),
    stderr: "",
    exitCode: view.quorate ? 0 : 2,
  };
}

function nodes(state: LabState, node: LabNode): CommandOutput {
  const view = quorumView(state, node);
  if (!view) return fail(CMAP_DOWN, 1);
  return ok(`\n${membership(view, node, { hex: false, ips: false }, state)}`);
}

/** votequorum refuses an expected count below the present votes, or one that would make a quorate partition inquorate. */
function setExpected(state: LabState, node: LabNode, text: string): CommandOutput {
  const expected = Number(text);
  const view = quorumView(state, node);
  if (!view) return fail(CMAP_DOWN, 1);
  if (!Number.isInteger(expected) || expected < 1 || expected < view.totalVotes) {
    return fail("Unable to set expected votes: CS_ERR_INVALID_PARAM", 1);
  }
  if (view.quorate && quorumFor(expected, view.totalVotes) > view.totalVotes) {
    return fail("Unable to set expected votes: CS_ERR_INVALID_PARAM", 1);
  }
  for (const member of view.members) member.node.expectedVotesOverride = expected;
  return ok();
}

/** `pvecm` first reads /etc/pve/corosync.conf: without pmxcfs it dies even on a clustered node. */
function pmxcfsConf(ctx: CommandContext): string | null {
  try {
    return ctx.fs.read("/etc/pve/corosync.conf");
  } catch (error) {
    if (error instanceof FsError) return null;
    throw error;
  }
}

const pvecm: CommandHandler = (ctx) => {
  const [sub, ...args] = ctx.argv.slice(1);
  const conf = pmxcfsConf(ctx);
  if (sub === "status" && args.length === 0) {
    if (conf === null) return fail(NO_CONF, 255);
    const totem = readCorosyncConf(conf);
    const info =
      "Cluster information\n-------------------\n" +
      `${"Name:".padEnd(17)} ${totem.clusterName ?? "UNKOWN?"}\n` +
      `${"Config Version:".padEnd(17)} ${totem.configVersion ?? -1}\n` +
      `${"Transport:".padEnd(17)} ${totem.transport ?? "knet"}\n` +
      `${"Secure auth:".padEnd(17)} ${totem.secauth ?? "off"}\n\n`;
    return status(ctx.state, ctx.node, { hex: true, ips: true }, info);
  }
  if (sub === "nodes" && args.length === 0) {
    if (conf === null) return fail(NO_CONF, 255);
    return nodes(ctx.state, ctx.node);
  }
  if (sub === "qdevice") return pvecmQdevice(ctx, args, conf);
  if (sub === "expected" && args.length === 1) {
    const value = Number(args[0]);
    if (!Number.isInteger(value) || value < 1) {
      return fail(
        `400 Parameter verification failed.\nexpected: value must have a minimum value of 1\npvecm expected <expected>`,
        255,
      );
    }
    return setExpected(ctx.state, ctx.node, args[0] ?? "");
  }
  return unsupported(ctx);
};

const corosyncQuorumtool: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  const flags = new Set(args.filter((a) => /^-[silHe]+$/.test(a)).flatMap((a) => [...a.slice(1)]));
  const operands = args.filter((a) => !a.startsWith("-"));
  if (args.some((a) => a.startsWith("-") && !/^-[silHe]+$/.test(a))) return unsupported(ctx);
  const format = { hex: flags.has("H"), ips: flags.has("i") };
  if (flags.has("e") && operands.length === 1) return setExpected(ctx.state, ctx.node, operands[0] ?? "");
  if (operands.length > 0) return unsupported(ctx);
  if (flags.has("l")) {
    const view = quorumView(ctx.state, ctx.node);
    return view ? ok(`\n${membership(view, ctx.node, format, ctx.state)}`) : fail(CMAP_DOWN, 1);
  }
  if (flags.has("s")) return status(ctx.state, ctx.node, format);
  return unsupported(ctx);
};

/**
 * `-s` in the corosync ≥ 3.1.5 layout: every configured node per link, `nodeid: %10u:` then a tab and the
 * state; `-R`: every running corosync of the partition reloads its own corosync.conf.
 */
const corosyncCfgtool: CommandHandler = (ctx) => {
  if (ctx.argv.length !== 2 || !["-s", "-R", "-n"].includes(ctx.argv[1]!)) return unsupported(ctx);
  if (!corosyncRunning(ctx.node)) return fail("Could not initialize corosync configuration API error 2", 1);
  if (ctx.argv[1] === "-n") return ok(cfgtoolNodesText(ctx.state, ctx.node));
  if (ctx.argv[1] === "-R") {
    reloadCorosync(ctx.state, ctx.node);
    return ok("Reloading corosync.conf...\nDone\n");
  }
  const conf = runningConf(ctx.node);
  const self = conf.nodes.find((n) => n.name === ctx.node.name);
  const links = knetLinksOf(ctx.node);
  let out = `Local node ID ${self?.nodeid ?? ctx.node.nodeid}, transport ${conf.transport ?? "knet"}\n`;
  for (const link of links) {
    out += `LINK ID ${link} udp\n\taddr\t= ${self?.rings[link] ?? ctx.node.ip}\n\tstatus:\n`;
    for (const entry of [...conf.nodes].sort((a, b) => a.nodeid - b.nodeid)) {
      const peer = ctx.state.nodes.find((n) => n.name === entry.name);
      let state = "disconnected";
      if (peer === ctx.node) state = "localhost";
      else if (peer && knetLinkUp(ctx.node, peer, link)) state = "connected";
      out += `\t\tnodeid: ${String(entry.nodeid).padStart(10)}:\t${state}\n`;
    }
  }
  return ok(out);
};

export const corosyncCommands: Record<string, CommandHandler> = {
  pvecm,
  "corosync-quorumtool": corosyncQuorumtool,
  "corosync-cfgtool": corosyncCfgtool,
  "corosync-cmapctl": corosyncCmapctl,
};
