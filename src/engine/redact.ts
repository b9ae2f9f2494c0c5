/**
 * Secrets never reach the journal or the screen (design rule 11). Redaction works on structured
 * values before they are serialised: by key (a `cipassword` field of a parsed guest config), by
 * location (anything under /etc/pve/priv/), and inside every string by the secret fields of the
 * Proxmox files it may hold. Matching on serialised JSON missed a value after a tab or a newline,
 * because JSON had turned them into `\t` and `\n`.
 */

export const REDACTED = "[REDACTED]";

/**
 * Secret property names. PVE's storage plugins mark `password`, `keyring`, `encryption-key` and
 * `master-pubkey` sensitive (pve-storage `sensitive_properties`; plugins add names such as
 * `dell-password`); guest configs have `cipassword`. Not bare `token`: corosync's `token: 3000` is a
 * timeout, and hiding it would make the journal lie. Not `fingerprint`: a PBS fingerprint is public.
 */
const SECRET_NAME =
  "[\\w.-]*(?:password|passwd|passphrase|secret)[\\w.-]*|keyring|encryption[_-]key|master-pubkey|api[_-]?token|access[_-]?token|auth[_-]?token|authtoken|api[_-]?key|private[_-]?key";
const SECRET_KEY = new RegExp(`^(?:${SECRET_NAME})$`, "i");

const PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[REDACTED PRIVATE KEY]"],
  // A whole config line: section config (`\tpassword hunter2`), guest config (`cipassword: $5$…`),
  // `key=value` and `key: value` files. The rest of the line is the value, spaces included.
  // A bare `key value` only when indented, as section config writes it: prose stays readable.
  [
    new RegExp(
      `^([ \\t]*(?:${SECRET_NAME})[ \\t]*[:=][ \\t]*|[ \\t]+(?:${SECRET_NAME})[ \\t]+)(?=\\S)(.+?)[ \\t]*$`,
      "gim",
    ),
    "$1[REDACTED]",
  ],
  // Inside a line: `--password x`, `password=x` (mount options), `"password": "x"` (JSON output).
  [
    new RegExp(
      `(--(?:${SECRET_NAME})[ \\t=]+|(?:^|[\\s,;{(?&"'])(?:${SECRET_NAME})["']?[ \\t]*[:=][ \\t]*["']?)(?!\\[REDACTED)([^\\s"',;}&]+)`,
      "gim",
    ),
    "$1[REDACTED]",
  ],
  [/(PVEAPIToken=[^=\s]+=)[0-9a-f-]+/g, "$1[REDACTED]"],
  // user.cfg: `user:<id>:<enable>:<expire>:<first>:<last>:<email>:<comment>:<keys>:`: the keys
  // field holds two-factor secrets on older installations (later moved to priv/tfa.cfg).
  [/^(user:[^:\s]+@[^:\s]+(?::[^:\n]*){6}:)([^:\n]+)(:)/gm, "$1[REDACTED]$3"],
];

/** Redact the secrets in one piece of text (a command, its output, a file's content). */
export function redact(text: string): string {
  return PATTERNS.reduce((out, [re, replacement]) => out.replace(re, replacement), text);
}

/** A property whose value is secret wherever it appears (`password`, `cipassword`, `keyring`, …). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Files whose content is secret by location; their bytes are kept out of the journal. */
export function isSecretPath(path: string): boolean {
  // A backup's copy on its node (`/var/lib/pvefix/backups/<run>/<step><path>`) is as secret as its original.
  const copyOf = /^\/var\/lib\/pvefix\/backups\/[^/]+\/[^/]+(\/.+)$/.exec(path)?.[1];
  if (copyOf !== undefined) return isSecretPath(copyOf);
  return (
    path.startsWith("/etc/pve/priv/") ||
    path.endsWith("/authtoken.secret") ||
    path.endsWith("/identity.secret") ||
    path === "/etc/corosync/authkey"
  );
}

/**
 * Whether a file's content must stay out of the journal: secret by location, or holding a secret
 * field (a storage.cfg with a CIFS password). Such a file is backed up only on its node.
 */
export function holdsSecrets(path: string, content: string): boolean {
  return isSecretPath(path) || redact(content) !== content;
}

/** Fields that carry a file's content next to a `path` (write-file actions, fact objects). */
const CONTENT_KEYS = new Set(["content", "current", "text"]);

/**
 * A copy of `value` with every secret replaced by `[REDACTED]`: values of secret keys, the content
 * of a secret file (an object whose `path` is secret: its `content`, `current`, `text`), the output
 * of a read of a secret file, file reads in base64 (decoded, redacted, encoded again), and secrets
 * inside every string. A backup's `contentBase64` that holds a secret becomes null: restores then
 * use the copy on the node, never a redacted text. Idempotent, so a saved plan and a fresh one
 * compare equal in their redacted forms.
 */
export function redactDeep<T>(value: T): T {
  return walk(value, false) as T;
}

function walk(value: unknown, secretFile: boolean): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, secretFile));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const path = typeof record.path === "string" ? record.path : null;
  const secret = secretFile || (path !== null && isSecretPath(path));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    if ((typeof v === "string" || typeof v === "number") && isSecretKey(key)) out[key] = REDACTED;
    else if (secret && CONTENT_KEYS.has(key) && typeof v === "string") out[key] = REDACTED;
    else if (key === "contentBase64" && typeof v === "string")
      out[key] = base64HoldsSecrets(v, path, secret) ? null : v;
    else out[key] = walk(v, secret);
  }
  if (typeof record.command === "string" && typeof record.stdout === "string") {
    out.stdout = redactFileRead(record.command, out.stdout as string);
  }
  return out;
}

function base64HoldsSecrets(encoded: string, path: string | null, secret: boolean): boolean {
  if (secret) return true;
  const text = Buffer.from(encoded, "base64").toString("utf8");
  return path !== null ? holdsSecrets(path, text) : redact(text) !== text;
}

/**
 * A file read's output is the file (src/transport/files.ts reads `base64 -w0 <path>`, probes read
 * `cat <path>`): a secret file's output goes whole; base64 is decoded, redacted and encoded again.
 */
function redactFileRead(command: string, stdout: string): string {
  const read = /^(base64 -w0|cat) (?:'([^']*)'|([^\s'|;&<>]+))$/.exec(command.trim());
  if (!read) return stdout;
  const path = read[2] ?? read[3] ?? "";
  if (isSecretPath(path)) return stdout === "" ? "" : REDACTED;
  if (read[1] === "cat") return stdout;
  const encoded = stdout.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return stdout;
  const text = Buffer.from(encoded, "base64").toString("utf8");
  const clean = redact(text);
  return clean === text ? stdout : Buffer.from(clean, "utf8").toString("base64");
}
