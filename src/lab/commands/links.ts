/**
 * What a PVE 9 node prints for the corosync-links sweep (its `ping` is ./ping.ts): `journalctl -u
 * corosync`, `nft list ruleset`, `iptables-save` (iptables-nft with no legacy rules prints nothing),
 * `pve-firewall status` and `chronyc tracking`.
 */
import { strftime } from "../model/clock.js";
import { corosyncJournal } from "../model/knet.js";
import { type CommandHandler, ok, unsupported } from "./types.js";

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
  journalctl,
  nft,
  "iptables-save": iptablesSave,
  "pve-firewall": pveFirewall,
  chronyc,
};
