/**
 * Host-key verification for one connection attempt: reads known_hosts fresh, decides, appends new
 * keys only when the operator allowed it, and turns a refusal into an error that says what to do.
 * A changed key is refused always: `acceptNewHostKeys` means new, never different.
 */
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { ServerHostKeyAlgorithm } from "ssh2";
import { shellQuote } from "../../shell/quote.js";
import { TransportError } from "../errors.js";
import {
  checkHostKey,
  fingerprint,
  hostPattern,
  type KnownHostsEntry,
  keyTypeOf,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
} from "./known-hosts.js";

export type HostKeyCheckOptions = {
  /** The inventory node being reached (the error is attributed to it). */
  node: string;
  /** The server being verified, as messages name it: the node, or a jump host. */
  label: string;
  host: string;
  port: number;
  /** Look the key up under this name (port 22) instead of host:port, as OpenSSH's HostKeyAlias. */
  hostKeyAlias?: string;
  knownHostsPath: string;
  acceptNew: boolean;
};

const ALGORITHMS_BY_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};
const DEFAULT_ORDER = Object.values(ALGORITHMS_BY_KEY_TYPE).flat();

function readEntries(path: string): KnownHostsEntry[] {
  try {
    return parseKnownHosts(readFileSync(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

function appendLine(path: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // `mode` only applies when the file is created: an existing file keeps the operator's mode.
  const fd = openSync(path, "a", 0o600);
  closeSync(fd);
  const size = statSync(path).size;
  const needsNewline =
    size > 0 &&
    !readFileSync(path)
      .subarray(size - 1)
      .equals(Buffer.from("\n"));
  appendFileSync(path, `${needsNewline ? "\n" : ""}${line}\n`);
}

/** Verifier for ssh2's `hostVerifier`, plus the error to throw when it refused. */
export class HostKeyCheck {
  private refusal: TransportError | null = null;

  constructor(private readonly opts: HostKeyCheckOptions) {}

  /** Ask for the key types already on file first, so a host known by its ECDSA key is not offered as "new" ED25519. */
  algorithms(): ServerHostKeyAlgorithm[] {
    const { name, port } = this.lookup();
    const known = knownKeyTypes(readEntries(this.opts.knownHostsPath), name, port);
    const first = known.flatMap((type) => ALGORITHMS_BY_KEY_TYPE[type] ?? []);
    return [...new Set([...first, ...DEFAULT_ORDER])];
  }

  /** The name and port known_hosts lines are matched against. */
  private lookup(): { name: string; port: number } {
    const { hostKeyAlias, host, port } = this.opts;
    return hostKeyAlias ? { name: hostKeyAlias, port: 22 } : { name: host, port };
  }

  /** The error explaining why the last verification refused, if it did. */
  get error(): TransportError | null {
    return this.refusal;
  }

  readonly verify = (key: Buffer): boolean => {
    try {
      return this.decide(key);
    } catch (error) {
      const { node, knownHostsPath } = this.opts;
      const reason = error instanceof Error ? error.message : String(error);
      this.refusal = new TransportError(
        "PVEFIX_CONNECT_FAILED",
        node,
        `Cannot use ${knownHostsPath}: ${reason}`,
        {
          cause: error,
        },
      );
      return false;
    }
  };

  private decide(key: Buffer): boolean {
    const { node, label, host, port, knownHostsPath, acceptNew, hostKeyAlias } = this.opts;
    const lookup = this.lookup();
    const where = `${label} (${host}:${port}${hostKeyAlias ? `, host key alias ${hostKeyAlias}` : ""})`;
    const offered = `${keyTypeOf(key) ?? "unknown"} ${fingerprint(key)}`;
    const verdict = checkHostKey(readEntries(knownHostsPath), lookup.name, lookup.port, key);
    switch (verdict.status) {
      case "known":
        return true;
      case "unknown":
        if (acceptNew) {
          appendLine(knownHostsPath, knownHostsLine(lookup.name, lookup.port, key));
          return true;
        }
        this.refusal = new TransportError(
          "PVEFIX_HOST_KEY_UNKNOWN",
          node,
          `Host key of ${where} is not known: the server offered ${offered}, which is not in ${knownHostsPath}. ` +
            `Compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_${keyFileSuffix(key)}_key.pub\` run on ${label}, ` +
            "then re-run with --accept-new-host-keys to trust it.",
        );
        return false;
      case "changed": {
        const old = Buffer.from(verdict.entry.keyBase64, "base64");
        this.refusal = new TransportError(
          "PVEFIX_HOST_KEY_CHANGED",
          node,
          `HOST KEY CHANGED for ${where}: the server offered ${offered}, but ${knownHostsPath} line ` +
            `${verdict.entry.line} has ${fingerprint(old)}. This is a reinstalled node or someone in the middle; ` +
            "pvefix does not connect (--accept-new-host-keys never replaces a key). If the node was reinstalled, " +
            `remove the old key with \`ssh-keygen -f ${shellQuote(knownHostsPath)} -R ${shellQuote(hostPattern(lookup.name, lookup.port))}\`.`,
        );
        return false;
      }
      case "revoked":
        this.refusal = new TransportError(
          "PVEFIX_HOST_KEY_CHANGED",
          node,
          `Host key of ${where} is revoked: the server offered ${offered}, which ${knownHostsPath} line ` +
            `${verdict.entry.line} marks @revoked. pvefix does not connect; give the node a new host key.`,
        );
        return false;
    }
  }
}

function keyFileSuffix(key: Buffer): string {
  const type = keyTypeOf(key) ?? "";
  if (type === "ssh-ed25519") return "ed25519";
  if (type.startsWith("ecdsa-")) return "ecdsa";
  return "rsa";
}
