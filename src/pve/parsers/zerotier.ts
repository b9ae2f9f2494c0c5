/**
 * ZeroTier: `/var/lib/zerotier-one/local.conf` and `zerotier-cli info` / `listnetworks`. zerotier-one exits
 * when local.conf is not strict JSON (also on its 10-second hot reload), so a file is validated here with
 * the same rules before anything writes it.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";

export const ZerotierLocalConf = z.record(z.string(), z.unknown());
export type ZerotierLocalConf = z.infer<typeof ZerotierLocalConf>;

export type LocalConfResult =
  | { ok: true; value: ZerotierLocalConf }
  | { ok: false; error: string; detail?: string };

/**
 * Reads local.conf the way zerotier-one does: an empty file means "no settings"; anything else must be
 * strict JSON (no comments, no trailing commas) with an object at the root. Errors use zerotier-one's words.
 */
export function parseZerotierLocalConf(text: string): LocalConfResult {
  // zerotier-one only parses a non-empty file; its JSON parser (nlohmann) skips a UTF-8 BOM.
  if (text.length === 0) return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    return { ok: false, error: "unable to parse local.conf (invalid JSON)", detail: (e as Error).message };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "unable to parse local.conf (root element is not a JSON object)" };
  }
  return { ok: true, value: value as ZerotierLocalConf };
}

export const BlacklistRequest = z.object({
  /** Physical networks ZeroTier must never use, e.g. the corosync subnet `10.10.10.0/24`. */
  cidrs: z.array(z.string()),
  /** Interface-name prefixes (`vmbr1`, `bond0`) matched with strncmp by zerotier-one. */
  interfacePrefixes: z.array(z.string().min(1)),
});
export type BlacklistRequest = z.infer<typeof BlacklistRequest>;

const IPV4_CIDR =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function objectAt(parent: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
  const v = parent[key];
  if (v === undefined) return {};
  if (!isPlainObject(v))
    throw new TypeError(`Expected \`${where}\` in local.conf to be an object, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Returns a copy of `existing` (null = no file yet) with each CIDR blacklisted under `physical` and the
 * prefixes added to `settings.interfacePrefixBlacklist`. Every other key and value is kept as it was.
 * @example mergeZerotierBlacklist(null, { cidrs: ["10.10.10.0/24"], interfacePrefixes: ["vmbr1"] })
 */
export function mergeZerotierBlacklist(
  existing: object | null,
  request: BlacklistRequest,
): ZerotierLocalConf {
  const { cidrs, interfacePrefixes } = BlacklistRequest.parse(request);
  for (const cidr of cidrs) {
    if (!IPV4_CIDR.test(cidr) && !IPV6_CIDR.test(cidr)) {
      throw new TypeError(`Expected a CIDR such as 10.10.10.0/24, got \`${cidr}\``);
    }
  }
  const root: Record<string, unknown> = structuredClone({ ...(existing ?? {}) });
  const physical = objectAt(root, "physical", "physical");
  for (const cidr of cidrs) {
    physical[cidr] = { ...objectAt(physical, cidr, `physical.${cidr}`), blacklist: true };
  }
  if (cidrs.length > 0 || root.physical !== undefined) root.physical = physical;
  const settings = objectAt(root, "settings", "settings");
  const current = settings.interfacePrefixBlacklist ?? [];
  if (!Array.isArray(current) || !current.every((p) => typeof p === "string")) {
    throw new TypeError(
      `Expected \`settings.interfacePrefixBlacklist\` to be an array of strings, got ${JSON.stringify(current)}`,
    );
  }
  const prefixes = [...new Set([...current, ...interfacePrefixes])];
  if (interfacePrefixes.length > 0 || settings.interfacePrefixBlacklist !== undefined) {
    settings.interfacePrefixBlacklist = prefixes;
  }
  if (Object.keys(settings).length > 0 || root.settings !== undefined) root.settings = settings;
  return root;
}

/** 2-space JSON with a final newline: what a human would write and zerotier-one accepts. */
export function formatZerotierLocalConf(obj: object): string {
  return `${JSON.stringify(obj, null, 2)}\n`;
}

export const ZerotierInfo = z.object({
  address: z.string().regex(/^[0-9a-f]{10}$/),
  version: z.string(),
  /** TUNNELED = only the TCP fallback relay works. */
  status: z.enum(["ONLINE", "OFFLINE", "TUNNELED"]),
});
export type ZerotierInfo = z.infer<typeof ZerotierInfo>;

export function parseZerotierInfo(text: string): ZerotierInfo {
  const lines = text.split(/\r?\n/);
  const index = lines.findIndex((l) => l.trim() !== "");
  const line = lines[index]?.trim() ?? "";
  const m = /^200 info ([0-9a-f]{10}) (\S+) (ONLINE|OFFLINE|TUNNELED)$/.exec(line);
  if (!m)
    throw new ParseError(
      "zerotier-info",
      `expected '200 info <address> <version> <status>', got '${line}'`,
      index + 1,
    );
  return validated("zerotier-info", ZerotierInfo, { address: m[1], version: m[2], status: m[3] });
}

export const ZerotierNetwork = z.object({
  nwid: z.string().regex(/^[0-9a-f]{16}$/),
  /** Empty until the controller sent a config (printed as an empty field). */
  name: z.string(),
  mac: z.string(),
  /** OK, REQUESTING_CONFIGURATION, ACCESS_DENIED, NOT_FOUND, PORT_ERROR, CLIENT_TOO_OLD, AUTHENTICATION_REQUIRED. */
  status: z.string(),
  type: z.string(),
  dev: z.string(),
  ips: z.array(z.string()),
});
export type ZerotierNetwork = z.infer<typeof ZerotierNetwork>;
export const ZerotierNetworks = z.array(ZerotierNetwork);
export type ZerotierNetworks = z.infer<typeof ZerotierNetworks>;

// The name may be empty or contain spaces, so the row is anchored on the nwid and the MAC around it.
const NETWORK_ROW =
  /^200 listnetworks ([0-9a-f]{16}) (.*) ([0-9a-f]{2}(?::[0-9a-f]{2}){5}) (\S+) (\S+) (\S*) (\S*)$/;

export function parseZerotierListNetworks(text: string): ZerotierNetworks {
  const networks: ZerotierNetwork[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trimEnd();
    // Indented lines (`    AUTH OK, expires in: 42 seconds`) belong to an SSO network above.
    if (line === "" || /^\s/.test(line) || line.startsWith("200 listnetworks <nwid>")) continue;
    const m = NETWORK_ROW.exec(line);
    if (!m) throw new ParseError("zerotier-listnetworks", `cannot read network row '${line}'`, i + 1);
    const ips = m[7] === "-" || m[7] === "" ? [] : m[7]!.split(",");
    networks.push({ nwid: m[1]!, name: m[2]!, mac: m[3]!, status: m[4]!, type: m[5]!, dev: m[6]!, ips });
  }
  return validated("zerotier-listnetworks", ZerotierNetworks, networks);
}

export const zerotierLocalConfFormat: ParserFormat<ZerotierLocalConf> = {
  name: "zerotier-local-conf",
  description: "/var/lib/zerotier-one/local.conf, validated like zerotier-one does",
  schema: ZerotierLocalConf,
  parse(text) {
    const result = parseZerotierLocalConf(text);
    if (!result.ok)
      throw new ParseError(
        "zerotier-local-conf",
        result.detail ? `${result.error}: ${result.detail}` : result.error,
      );
    return result.value;
  },
};

/**
 * `zerotier-cli info` read as an answer: when the CLI cannot reach zerotier-one it prints
 * `Error connecting to the ZeroTier service: ...` (and a hint line), or complains about
 * authtoken.secret (ZeroTierOne one.cpp) — the service state, not unreadable input.
 */
export const ZerotierInfoReading = z.object({
  state: z.enum(["running", "service-unreachable", "no-auth-token"]),
  info: ZerotierInfo.nullable(),
  error: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type ZerotierInfoReading = z.infer<typeof ZerotierInfoReading>;

export function readZerotierInfo(text: string): ZerotierInfoReading {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const unreachable = lines.find((l) => l.startsWith("Error connecting to the ZeroTier service"));
  const token = lines.find((l) => /authtoken\.secret not found or readable/.test(l));
  if (unreachable || token) {
    return {
      state: unreachable ? "service-unreachable" : "no-auth-token",
      info: null,
      error: (unreachable ?? token) as string,
      warnings: lines.filter((l) => l !== (unreachable ?? token)),
    };
  }
  const at = lines.findIndex((l) => l.startsWith("200 info "));
  if (at === -1) return { state: "running", info: parseZerotierInfo(text), error: null, warnings: [] };
  return {
    state: "running",
    info: parseZerotierInfo(lines[at] as string),
    error: null,
    warnings: lines.filter((_, i) => i !== at),
  };
}

export const zerotierInfoFormat: ParserFormat<ZerotierInfoReading> = {
  name: "zerotier-info",
  description: "`zerotier-cli info`: address, version, ONLINE/OFFLINE/TUNNELED; service down is a state",
  schema: ZerotierInfoReading,
  parse: readZerotierInfo,
};

export const ZerotierNetworksReading = z.object({
  state: z.enum(["running", "service-unreachable", "no-auth-token"]),
  networks: ZerotierNetworks,
  error: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type ZerotierNetworksReading = z.infer<typeof ZerotierNetworksReading>;

/** `listnetworks` read as an answer: the CLI failing to reach zerotier-one is a state (one.cpp). */
export function readZerotierListNetworks(text: string): ZerotierNetworksReading {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const failure = lines.find(
    (l) => l.startsWith("Error connecting to the ZeroTier service") || /authtoken\.secret not found/.test(l),
  );
  if (failure) {
    return {
      state: failure.startsWith("Error connecting") ? "service-unreachable" : "no-auth-token",
      networks: [],
      error: failure,
      warnings: lines.filter((l) => l !== failure),
    };
  }
  return { state: "running", networks: parseZerotierListNetworks(text), error: null, warnings: [] };
}

export const zerotierListNetworksFormat: ParserFormat<ZerotierNetworksReading> = {
  name: "zerotier-listnetworks",
  description:
    "`zerotier-cli listnetworks`: joined networks, status, device and IPs; service down is a state",
  schema: ZerotierNetworksReading,
  parse: readZerotierListNetworks,
};
