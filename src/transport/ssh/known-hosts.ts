/**
 * OpenSSH known_hosts, read the way `ssh` reads it: plain and hashed (`|1|salt|hash`) host
 * fields, `[host]:port` for non-22 ports, comma lists, `*`/`?` wildcards, `!negation`, and the
 * `@revoked` / `@cert-authority` markers. Pure functions; file I/O lives in host-key.ts.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type KnownHostsEntry = {
  /** 1-based line number, for messages that tell the operator which line to look at. */
  line: number;
  marker: "revoked" | "cert-authority" | null;
  /** The host field as written (comma list, possibly hashed). */
  hosts: string;
  /** Key type read from the key blob itself, e.g. `ssh-ed25519`. */
  keyType: string;
  keyBase64: string;
};

/** What the known_hosts file says about the key a server offered. */
export type HostKeyVerdict =
  | { status: "known"; entry: KnownHostsEntry }
  | { status: "unknown" }
  | { status: "changed"; entry: KnownHostsEntry }
  | { status: "revoked"; entry: KnownHostsEntry };

/** `host` for port 22, `[host]:port` otherwise: the name OpenSSH stores and hashes. */
export function hostPattern(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** The algorithm name at the start of an SSH wire-format key blob. */
export function keyTypeOf(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return null;
  return blob.subarray(4, 4 + length).toString("latin1");
}

/** `SHA256:…` exactly as `ssh-keygen -l` and `ssh` print it (base64 without padding). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === "" || fields[0].startsWith("#")) return;
    let marker: KnownHostsEntry["marker"] = null;
    if (fields[0].startsWith("@")) {
      const name = fields.shift();
      if (name === "@revoked") marker = "revoked";
      else if (name === "@cert-authority") marker = "cert-authority";
      else return; // Unknown markers are skipped, as OpenSSH does.
    }
    const [hosts, , keyBase64] = fields;
    if (hosts === undefined || keyBase64 === undefined) return;
    const keyType = keyTypeOf(Buffer.from(keyBase64, "base64"));
    if (keyType === null) return;
    entries.push({ line: index + 1, marker, hosts, keyType, keyBase64 });
  });
  return entries;
}

function wildcardMatch(pattern: string, text: string): boolean {
  // Most known_hosts fields are plain names: every connection checks every line.
  if (!/[*?]/.test(pattern)) return pattern === text;
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(text);
}

function hashedMatch(field: string, name: string): boolean {
  const [, magic, salt, hash] = field.split("|");
  if (magic !== "1" || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Does a host field (comma list, hashed or plain) name this host and port? A matching `!pattern` vetoes. */
export function hostsFieldMatches(field: string, host: string, port: number): boolean {
  const name = hostPattern(host, port);
  if (field.startsWith("|")) return hashedMatch(field, name);
  let matched = false;
  for (const pattern of field.toLowerCase().split(",")) {
    if (pattern.startsWith("!")) {
      if (wildcardMatch(pattern.slice(1), name)) return false;
    } else if (wildcardMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Check an offered key the way `ssh` does: revoked anywhere, then same key, then same type with another key. */
export function checkHostKey(
  entries: KnownHostsEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const offered = key.toString("base64");
  const revoked = entries.find((e) => e.marker === "revoked" && e.keyBase64 === offered);
  if (revoked) return { status: "revoked", entry: revoked };
  const forHost = entries.filter((e) => e.marker === null && hostsFieldMatches(e.hosts, host, port));
  const same = forHost.find((e) => e.keyBase64 === offered);
  if (same) return { status: "known", entry: same };
  const type = keyTypeOf(key);
  const other = forHost.find((e) => e.keyType === type);
  return other ? { status: "changed", entry: other } : { status: "unknown" };
}

/** Key types this host is already known with, so the handshake can ask for those first (as `ssh` does). */
export function knownKeyTypes(entries: KnownHostsEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((e) => e.marker === null && hostsFieldMatches(e.hosts, host, port))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** One known_hosts line in plain form (readable; `ssh-keygen -H` can hash the file later). */
export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${hostPattern(host, port)} ${keyTypeOf(key) ?? "unknown"} ${key.toString("base64")}`;
}
