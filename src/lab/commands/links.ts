/**
 * What a PVE 9 node prints for the corosync-links sweep: iputils `ping` (-n -q -M do -s -c -i -W -I),
 * `journalctl -u corosync`, `nft list ruleset`, `iptables-save` (iptables-nft with no legacy rules
 * prints nothing), `pve-firewall status` and `chronyc tracking`.
 */
import { strftime } from "../model/clock.js";
import { corosyncJournal, echo } from "../model/knet.js";
import { type CommandHandler, fail, ok, unsupported } from "./types.js";

/** ping/ping.c and ping_common.c as iputils 20240905 (trixie) prints them with -q. */
const ping: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  let size = 56;
  let count = 0;
  let interval = 1;
  let df = false;
  let from: string | null = null;
  let target: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => args[++i] ?? "";
    if (a === "-n" || a === "-q") continue;
    if (a === "-M") {
      const mode = value();
      if (mode !== "do" && mode !== "dont" && mode !== "want")
        return fail(`ping: invalid -M argument: ${mode}`, 2);
      df = mode === "do";
    } else if (a === "-s") size = Number(value());
    else if (a === "-c") count = Number(value());
    else if (a === "-i") interval = Number(value());
    else if (a === "-W") value();
    else if (a === "-I") from = value();
    else if (a.startsWith("-")) return unsupported(ctx);
    else target = a;
  }
  // Without -c ping never ends: the lab has no use for that.
  if (target === null || count < 1 || !Number.isFinite(size) || from === null) return unsupported(ctx);
  const bytes = size + 28;
  const result = echo(ctx.state, ctx.node, from, target, bytes, df);
  const received = result.received ? count : 0;
  const errors = result.localMtu !== null ? count : 0;
  const time = Math.round((count - 1) * interval * 1000 + (received ? 3 : 1000));
  ctx.state.clock += Math.ceil(time / 1000);
  let out = `PING ${target} (${target}) from ${from} : ${size}(${bytes}) bytes of data.\n\n`;
  out += `--- ${target} ping statistics ---\n`;
  out += `${count} packets transmitted, ${received} received${errors ? `, +${errors} errors` : ""}, ${received ? 0 : 100}% packet loss, time ${time}ms\n`;
  if (received) out += "rtt min/avg/max/mdev = 0.142/0.181/0.233/0.038 ms\n";
  const stderr =
    result.localMtu === null
      ? ""
      : `ping: local error: message too long, mtu=${result.localMtu}\n`.repeat(count);
  return { stdout: out, stderr, exitCode: received ? 0 : 1 };
};

const journalctl: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  let unit: string | null = null;
  let lines = 10;
  let iso = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-u") unit = args[++i] ?? "";
    else if (a === "-n") lines = Number(args[++i]);
    else if (a === "-o") iso = args[++i] === "short-iso";
    else if (a !== "--no-pager") return unsupported(ctx);
  }
  if (unit !== "corosync" && unit !== "corosync.service") return unsupported(ctx);
  if (!iso) return unsupported(ctx);
  const all = corosyncJournal(ctx.state, ctx.node);
  if (all.length === 0) return ok("-- No entries --\n");
  return ok(`${all.slice(-lines).join("\n")}\n`);
};

const nft: CommandHandler = (ctx) => {
  if (ctx.argv.slice(1).join(" ") !== "list ruleset") return unsupported(ctx);
  return ok(ctx.node.nftRuleset ?? "");
};

const iptablesSave: CommandHandler = (ctx) => (ctx.argv.length === 1 ? ok() : unsupported(ctx));

/** pve-firewall's `status`: `Status: <enabled|disabled>/<running|stopped>` (PVE::Firewall). */
const pveFirewall: CommandHandler = (ctx) => {
  if (ctx.argv.slice(1).join(" ") !== "status") return unsupported(ctx);
  const running = ctx.node.services["pve-firewall"] === "active" ? "running" : "stopped";
  return ok(`Status: disabled/${running}\n`);
};

/** chrony doc/chronyc.adoc `tracking`, synchronised to the management gateway. */
const chronyc: CommandHandler = (ctx) => {
  if (ctx.argv.slice(1).join(" ") !== "tracking") return unsupported(ctx);
  const ref = strftime(ctx.state.clock - 37, "%a %b %d %T %Y");
  return ok(
    "Reference ID    : 0A0000FE (10.0.0.254)\n" +
      "Stratum         : 3\n" +
      `Ref time (UTC)  : ${ref}\n` +
      "System time     : 0.000014210 seconds fast of NTP time\n" +
      "Last offset     : +0.000009815 seconds\n" +
      "RMS offset      : 0.000021944 seconds\n" +
      "Frequency       : 12.482 ppm slow\n" +
      "Residual freq   : +0.001 ppm\n" +
      "Skew            : 0.032 ppm\n" +
      "Root delay      : 0.012441093 seconds\n" +
      "Root dispersion : 0.000612287 seconds\n" +
      "Update interval : 64.5 seconds\n" +
      "Leap status     : Normal\n",
  );
};

export const linkCommands: Record<string, CommandHandler> = {
  ping,
  journalctl,
  nft,
  "iptables-save": iptablesSave,
  "pve-firewall": pveFirewall,
  chronyc,
};
