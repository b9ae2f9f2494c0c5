/**
 * `corosync-cmapctl` as corosync 3.1 prints it, for the keys the lab models: `totem.*` and `nodelist.*`
 * from the config the running corosync loaded, and the token keys of `runtime.config.totem.*`
 * (token + coefficient per node above two, retransmit = token / 4.2, consensus = 1.2 × token). Other
 * prefixes are refused as unsupported rather than printed half.
 */
import { knetStatKeys } from "../model/knet.js";
import { corosyncRunning, runningConf } from "../model/quorum.js";
import type { LabNode } from "../state.js";
import { type CommandContext, type CommandOutput, fail, ok, unsupported } from "./types.js";

const DOWN = "Failed to initialize the cmap API. Error CS_ERR_LIBRARY";
/** cmap types of numeric totem keys (coroparse.c); everything else is a string. */
const U32 = new Set([
  "token",
  "token_coefficient",
  "token_retransmit",
  "hold",
  "token_retransmits_before_loss_const",
  "join",
  "send_join",
  "consensus",
  "merge",
  "downcheck",
  "fail_recv_const",
  "seqno_unchanged_const",
  "heartbeat_failures_allowed",
  "max_network_delay",
  "window_size",
  "max_messages",
  "miss_count_const",
  "knet_pmtud_interval",
  "knet_mtu",
  "netmtu",
  "version",
  "token_warning",
]);
const MODELED = ["totem.", "nodelist.", "runtime.config.totem.token"];

type Entry = { type: string; value: string };

function keysOf(node: LabNode): Map<string, Entry> {
  const conf = runningConf(node);
  const keys = new Map<string, Entry>();
  for (const [key, value] of Object.entries(conf.totem)) {
    const type = key === "config_version" ? "u64" : U32.has(key) ? "u32" : "str";
    keys.set(`totem.${key}`, { type, value });
  }
  const self = conf.nodes.find((n) => n.name === node.name);
  for (const iface of conf.interfaces) {
    const link = Number(iface.linknumber ?? iface.ringnumber ?? 0);
    const addr = self?.rings[link];
    // corosync fills in the bind address of each link from the node's own ringN_addr.
    if (addr !== undefined) keys.set(`totem.interface.${link}.bindnetaddr`, { type: "str", value: addr });
    for (const [key, value] of Object.entries(iface)) {
      if (key === "linknumber" || key === "ringnumber") continue;
      keys.set(`totem.interface.${link}.${key}`, {
        type: key === "knet_link_priority" ? "u8" : "str",
        value,
      });
    }
  }
  conf.nodes.forEach((n, i) => {
    keys.set(`nodelist.node.${i}.name`, { type: "str", value: n.name });
    keys.set(`nodelist.node.${i}.nodeid`, { type: "u32", value: String(n.nodeid) });
    keys.set(`nodelist.node.${i}.quorum_votes`, { type: "u32", value: String(n.quorumVotes) });
    for (const [link, addr] of Object.entries(n.rings))
      keys.set(`nodelist.node.${i}.ring${link}_addr`, { type: "str", value: addr });
  });
  const pos = conf.nodes.findIndex((n) => n.name === node.name);
  if (pos >= 0) keys.set("nodelist.local_node_pos", { type: "u32", value: String(pos) });
  const base = Number(conf.totem.token ?? 3000);
  const coefficient = Number(conf.totem.token_coefficient ?? 650);
  const token = base + (conf.nodes.length > 2 ? (conf.nodes.length - 2) * coefficient : 0);
  const runtime = (key: string, value: number) =>
    keys.set(`runtime.config.totem.${key}`, { type: "u32", value: String(value) });
  runtime("token", token);
  runtime("token_retransmit", Math.floor(token / 4.2));
  runtime("token_retransmits_before_loss_const", 4);
  runtime("token_warning", 75);
  return keys;
}

const line = (key: string, e: Entry) => `${key} (${e.type}) = ${e.value}\n`;
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `-m stats [prefix…]`: the stats map; the lab models the knet link counters only. */
function statsMap(ctx: CommandContext, prefixes: string[]): CommandOutput {
  if (prefixes.length === 0 || !prefixes.every((p) => p.startsWith("stats.knet."))) return unsupported(ctx);
  if (!corosyncRunning(ctx.node)) return fail(DOWN, 1);
  const keys = knetStatKeys(ctx.state, ctx.node);
  let out = "";
  for (const prefix of prefixes)
    for (const key of [...keys.keys()].sort(byteOrder))
      if (key.startsWith(prefix)) out += line(key, keys.get(key)!);
  return ok(out);
}

export function corosyncCmapctl(ctx: CommandContext): CommandOutput {
  const args = ctx.argv.slice(1);
  if (args[0] === "-m" && args[1] === "stats") return statsMap(ctx, args.slice(2));
  const get = args[0] === "-g";
  const names = get ? args.slice(1) : args;
  if (names.some((a) => a.startsWith("-")) || (get && names.length === 0)) return unsupported(ctx);
  // Only what the lab models: a prefix that could reach keys it does not know is refused.
  const modeled = (name: string) => MODELED.some((m) => name.startsWith(m));
  if (names.length === 0 || !names.every(modeled)) return unsupported(ctx);
  if (!corosyncRunning(ctx.node)) return fail(DOWN, 1);
  const keys = keysOf(ctx.node);
  let out = "";
  if (get) {
    for (const name of names) {
      const entry = keys.get(name);
      if (!entry) return fail(`Can't get key ${name}. Error CS_ERR_NOT_EXIST`, 1, out);
      out += line(name, entry);
    }
    return ok(out);
  }
  const sorted = [...keys.keys()].sort(byteOrder);
  for (const prefix of names)
    for (const key of sorted) if (key.startsWith(prefix)) out += line(key, keys.get(key)!);
  return out === "" ? fail("", 1) : ok(out);
}
