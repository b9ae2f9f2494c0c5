/**
 * zerotier-one on a node: its local.conf (strict JSON, or the daemon exits) and the loop a tap
 * inside a bridge causes when ZeroTier may also use that bridge as a physical path. A blacklist
 * of the bridge's name prefix (`settings.interfacePrefixBlacklist`, strncmp) or of its network
 * (`physical.<cidr>.blacklist`) ends the loop at the next start.
 */
import type { LabNode } from "../state.js";

export const ZEROTIER_LOCAL_CONF = "/var/lib/zerotier-one/local.conf";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The parsed local.conf: `{}` when absent or empty, `null` when zerotier-one would refuse it. */
export function readLocalConf(node: LabNode): JsonObject | null {
  const text = node.files[ZEROTIER_LOCAL_CONF];
  if (text === undefined || text === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

export function zerotierConfValid(node: LabNode): boolean {
  return readLocalConf(node) !== null;
}

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** `address` (no prefix) lies inside `cidr` (IPv4 only; ZeroTier's blacklist works the same way). */
export function ipv4InCidr(address: string, cidr: string): boolean {
  const [net = "", bitsText = ""] = cidr.split("/");
  const ip = ipv4ToInt(address);
  const base = ipv4ToInt(net);
  const bits = Number(bitsText);
  if (ip === null || base === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(ip / size) === Math.floor(base / size);
}

function blacklist(conf: JsonObject): { prefixes: string[]; cidrs: string[] } {
  const settings = isObject(conf.settings) ? conf.settings : {};
  const list = settings.interfacePrefixBlacklist;
  const prefixes = Array.isArray(list) ? list.filter((p): p is string => typeof p === "string") : [];
  const physical = isObject(conf.physical) ? conf.physical : {};
  const cidrs = Object.entries(physical)
    .filter(([, v]) => isObject(v) && v.blacklist === true)
    .map(([cidr]) => cidr);
  return { prefixes, cidrs };
}

/** True when some tap sits in a bridge ZeroTier may still send its own traffic through. */
export function zerotierLoops(node: LabNode): boolean {
  const conf = readLocalConf(node);
  if (!node.zerotier || conf === null) return false;
  const { prefixes, cidrs } = blacklist(conf);
  return node.zerotier.networks.some((network) => {
    const bridge = network.bridge;
    if (bridge === null) return false;
    if (prefixes.some((p) => p !== "" && bridge.startsWith(p))) return false;
    const link = node.links.find((l) => l.name === bridge);
    const addresses = (link?.addrs ?? []).map((a) => a.split("/")[0] ?? "");
    return !addresses.some((a) => cidrs.some((c) => ipv4InCidr(a, c)));
  });
}
