/** Secrets never reach the journal or the screen (design rule 11). Applied to every recorded text. */

const PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[REDACTED PRIVATE KEY]"],
  // key: value / key=value / --key value forms for secret names. Not bare `token`: corosync's
  // `token: 3000` is a timeout, and hiding it would make the journal lie.
  [
    /((?:^|[\s,;{"'])-{0,2}(?:password|passwd|secret|api[_-]?token|access[_-]?token|auth[_-]?token|authtoken|api[_-]?key|private[_-]?key)["']?\s*[:=\s]\s*["']?)([^\s"',;}]+)/gim,
    "$1[REDACTED]",
  ],
  [/(PVEAPIToken=[^=\s]+=)[0-9a-f-]+/g, "$1[REDACTED]"],
];

export function redact(text: string): string {
  return PATTERNS.reduce((out, [re, replacement]) => out.replace(re, replacement), text);
}

/** Files whose content is secret by location; their bytes are kept out of the journal. */
export function isSecretPath(path: string): boolean {
  return (
    path.startsWith("/etc/pve/priv/") ||
    path.endsWith("/authtoken.secret") ||
    path.endsWith("/identity.secret") ||
    path === "/etc/corosync/authkey"
  );
}
