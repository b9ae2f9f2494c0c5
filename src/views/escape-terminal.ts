/**
 * Remote text (command output, config values, lock names, task ids) is untrusted: an ANSI
 * sequence in it could recolor, hide or rewrite what the operator reads. Before any of it is
 * printed, escape sequences are removed and other control characters are shown as `\xNN`,
 * so nothing remote can move the cursor or pretend to be pvefix's own output.
 */

// CSI (ESC [ … final), OSC (ESC ] … BEL/ST), DCS/SOS/PM/APC (ESC P|X|^|_ … ST),
// nF sequences (ESC intermediates final, e.g. ESC ( B), two-byte ESC sequences and 8-bit CSI.
const ESCAPE_SEQUENCE =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[ -/]+[0-~]|\x1b[@-Z\\-_a-z0-9=<>]|\x9b[0-?]*[ -/]*[@-~]/g;

// Everything below space except tab and newline, DEL, and the C1 controls.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

// Bidirectional overrides can make a command read differently from what runs ("trojan source").
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

export function escapeTerminal(text: string): string {
  return text
    .replace(ESCAPE_SEQUENCE, "")
    .replace(/\r\n/g, "\n")
    .replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .replace(BIDI, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** Escape every string inside a value (plans, results, findings) before rendering it as text. */
export function escapeDeep<T>(value: T): T {
  if (typeof value === "string") return escapeTerminal(value) as T;
  if (Array.isArray(value)) return value.map(escapeDeep) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDeep(v)])) as T;
  }
  return value;
}
