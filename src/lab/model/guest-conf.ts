/**
 * Guest config text the way PVE writes it: description as leading `#` lines, main-section keys
 * sorted alphabetically, then `[PENDING]` / `[special:…]` / snapshot sections each after an empty
 * line. Editing one key rewrites the main section in that order, so removing and re-adding a
 * `lock:` line gives back the original bytes. (Independent of src/pve/parsers on purpose.)
 */

export interface GuestConfParts {
  description: string[];
  keys: Array<[string, string]>;
  /** Everything from the empty line before the first section header on (may be ""). */
  tail: string;
}

export function splitGuestConf(text: string): GuestConfParts {
  const lines = text.split("\n");
  const header = lines.findIndex((l) => /^\[[^\]]+\]\s*$/.test(l));
  let end = header === -1 ? lines.length : header;
  while (end > 0 && lines[end - 1] === "") end--;
  const description: string[] = [];
  const keys: Array<[string, string]> = [];
  for (const l of lines.slice(0, end)) {
    if (l.startsWith("#")) {
      description.push(l.slice(1));
      continue;
    }
    const kv = /^([a-z][a-z0-9_-]*):\s?(.*)$/.exec(l);
    if (kv) keys.push([kv[1] ?? "", kv[2] ?? ""]);
  }
  const tail = header === -1 ? "" : `${lines.slice(end).join("\n")}`;
  return { description, keys, tail };
}

export function joinGuestConf(parts: GuestConfParts): string {
  const main = [
    ...parts.description.map((d) => `#${d}`),
    ...[...parts.keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}: ${v}`),
  ];
  const body = main.length ? `${main.join("\n")}\n` : "";
  return parts.tail ? `${body}${parts.tail.replace(/^\n*/, "\n")}` : body;
}

export function mainKey(text: string, key: string): string | null {
  return splitGuestConf(text).keys.find(([k]) => k === key)?.[1] ?? null;
}

export function mainKeys(text: string): Record<string, string> {
  return Object.fromEntries(splitGuestConf(text).keys);
}

/** Set (or with `null` remove) one main-section key; other sections stay untouched. */
export function setMainKey(text: string, key: string, value: string | null): string {
  const parts = splitGuestConf(text);
  parts.keys = parts.keys.filter(([k]) => k !== key);
  if (value !== null) parts.keys.push([key, value]);
  return joinGuestConf(parts);
}

/** Build a config from scratch (scenarios): description lines are URI-escaped like PVE::ParseUtils::encode_text. */
export function formatGuestConf(opts: {
  description?: string;
  keys: Record<string, string>;
  sections?: Record<string, Record<string, string>>;
}): string {
  const description =
    opts.description === undefined ? [] : opts.description.split("\n").map(encodeDescription);
  let text = joinGuestConf({ description, keys: Object.entries(opts.keys), tail: "" });
  for (const [name, keys] of Object.entries(opts.sections ?? {})) {
    text += `\n[${name}]\n${joinGuestConf({ description: [], keys: Object.entries(keys), tail: "" })}`;
  }
  return text;
}

export function encodeDescription(line: string): string {
  return line.replace(
    /[%:\x00-\x1f\x7f-\xff]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

export function decodeDescription(lines: string[]): string {
  return lines
    .map((l) =>
      l.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    )
    .join("\n");
}
