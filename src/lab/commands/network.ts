/**
 * `ip -j link show`, `ip -j addr show` and `ip -j route show default` (iproute2's one-line JSON),
 * and `zerotier-cli info|listnetworks` (§10) — zerotier-cli exists only where zerotier-one is installed.
 */
import { ipAddrJson, ipDefaultRouteJson, ipLinkDetailsJson, ipLinkJson } from "../model/network.js";
import { type CommandHandler, ok, unsupported } from "./types.js";

const ip: CommandHandler = (ctx) => {
  const opts = new Set<string>();
  let args = ctx.argv.slice(1);
  while (args[0]?.startsWith("-")) {
    const opt = args[0].replace(/^--?/, "");
    if (/^j(son)?$/.test(opt)) opts.add("j");
    else if (/^s(tat(istics)?)?$/.test(opt)) opts.add("s");
    else if (/^d(etails)?$/.test(opt)) opts.add("d");
    else return unsupported(ctx);
    args = args.slice(1);
  }
  if (!opts.has("j")) return unsupported(ctx);
  const [object = "", verb = "show", ...rest] = args;
  if (verb !== "show" && verb !== "list") return unsupported(ctx);
  const details = opts.has("s") || opts.has("d");
  if (details && !(opts.has("s") && opts.has("d") && /^l(i(nk?)?)?$/.test(object) && rest.length === 0))
    return unsupported(ctx);
  if (details) return ok(ipLinkDetailsJson(ctx.node));
  if (/^l(i(nk?)?)?$/.test(object) && rest.length === 0) return ok(ipLinkJson(ctx.node));
  if (/^a(d(d(r(e(s(s)?)?)?)?)?)?$/.test(object) && rest.length === 0) return ok(ipAddrJson(ctx.node));
  if (/^r(o(u(t(e)?)?)?)?$/.test(object) && rest.length === 1 && rest[0] === "default") {
    return ok(ipDefaultRouteJson(ctx.node));
  }
  return unsupported(ctx);
};

const zerotierCli: CommandHandler = (ctx) => {
  const zt = ctx.node.zerotier;
  if (!zt) return { stdout: "", stderr: `sh: 1: ${ctx.argv[0]}: not found\n`, exitCode: 127 };
  if (ctx.node.services["zerotier-one"] !== "active") {
    return {
      stdout:
        "Error connecting to the ZeroTier service: connection failed\n\n" +
        "Please check that the service is running and that TCP port 9993 can be contacted via 127.0.0.1.\n",
      stderr: "",
      exitCode: 1,
    };
  }
  const args = ctx.argv.slice(1);
  if (args.length !== 1) return unsupported(ctx);
  if (args[0] === "info") return ok(`200 info ${zt.address} ${zt.version} ONLINE\n`);
  if (args[0] === "listnetworks") {
    const rows = zt.networks.map(
      (n) =>
        `200 listnetworks ${n.nwid} ${n.name} ${n.mac} OK PRIVATE ${n.dev} ${n.ips.length ? n.ips.join(",") : "-"}\n`,
    );
    return ok(
      `200 listnetworks <nwid> <name> <mac> <status> <type> <dev> <ZT assigned ips>\n${rows.join("")}`,
    );
  }
  return unsupported(ctx);
};

export const networkCommands: Record<string, CommandHandler> = { ip, "zerotier-cli": zerotierCli };
