/**
 * Ansible's INI inventory format, read as Ansible's `ini` inventory plugin reads it: `[group]`
 * sections of host lines (`host[:port] key=value …`, ranges such as `pve[1:3]`), `[group:vars]`
 * sections of `key=value` lines, `[group:children]` sections of group names, hosts before any
 * section in `ungrouped`, `#` and `;` comments. Values are split the way shlex splits them.
 * Pure: text in, model out.
 */
import {
  type AnsibleInventory,
  type AnsibleVar,
  addHost,
  ansibleProblem,
  emptyInventory,
  group,
  type VarMap,
} from "./model.js";

type Section = { name: string; kind: "hosts" | "vars" | "children" };

/** shlex.split(line, comments=True): quotes group, backslash escapes outside single quotes, `#` starts a comment. */
export function shlexSplit(line: string): string[] | null {
  const out: string[] = [];
  let current: string | null = null;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && (line[i + 1] === '"' || line[i + 1] === "\\"))
        current = (current ?? "") + line[++i];
      else current = (current ?? "") + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      current ??= "";
    } else if (c === "\\" && i + 1 < line.length) {
      current = (current ?? "") + line[++i];
    } else if (/\s/.test(c)) {
      if (current !== null) out.push(current);
      current = null;
    } else if (c === "#" && current === null) {
      break;
    } else {
      current = (current ?? "") + c;
    }
  }
  if (quote) return null;
  if (current !== null) out.push(current);
  return out;
}

/** Ansible evaluates INI values as Python literals: integers and booleans become numbers and booleans. */
function literal(text: string): unknown {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === "True" || text === "true") return true;
  if (text === "False" || text === "false") return false;
  return text;
}

/** `pve[1:3]`, `pve[01:10:2]`, `node-[a:c]`: every host a range pattern names (ansible's expand_hostname_range). */
export function expandHostRange(pattern: string): string[] | null {
  const m = /^([^[]*)\[([^\]:]+):([^\]:]+)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head = "", from = "", to = "", stride = "1", tail = ""] = m;
  const step = Number(stride);
  if (step < 1) return null;
  const tails = expandHostRange(tail);
  if (tails === null) return null;
  const names: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.startsWith("0") ? from.length : 0;
    const start = Number(from);
    const end = Number(to);
    if (end < start) return null;
    for (let n = start; n <= end; n += step) names.push(String(n).padStart(width, "0"));
  } else if (/^[a-z]$/i.test(from) && /^[a-z]$/i.test(to)) {
    const start = from.charCodeAt(0);
    const end = to.charCodeAt(0);
    if (end < start) return null;
    for (let n = start; n <= end; n += step) names.push(String.fromCharCode(n));
  } else {
    return null;
  }
  return names.flatMap((n) => tails.map((t) => `${head}${n}${t}`));
}

function parseHeader(text: string): Section {
  const inner = text.slice(1, -1).trim();
  const colon = inner.lastIndexOf(":");
  const suffix = colon > 0 ? inner.slice(colon + 1) : "";
  if (suffix === "vars" || suffix === "children") return { name: inner.slice(0, colon), kind: suffix };
  return { name: inner, kind: "hosts" };
}

function assignments(
  tokens: string[],
  file: string,
  line: number,
  what: string,
): VarMap | ReturnType<typeof ansibleProblem> {
  const vars: VarMap = new Map();
  for (const token of tokens) {
    const eq = token.indexOf("=");
    if (eq <= 0) {
      return ansibleProblem(file, line, null, `expected key=value after ${what}, got '${token}'`);
    }
    const entry: AnsibleVar = { value: literal(token.slice(eq + 1)), file, line };
    vars.set(token.slice(0, eq), entry);
  }
  return vars;
}

/** Parse an INI inventory; the first problem is thrown as an InventoryError naming file and line. */
export function parseAnsibleIni(text: string, file: string): AnsibleInventory {
  const inv = emptyInventory(file);
  let section: Section = { name: "ungrouped", kind: "hosts" };
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      if (!line.endsWith("]")) {
        throw ansibleProblem(file, lineNo, null, `a section header must end with ']': ${line}`);
      }
      section = parseHeader(line);
      if (section.name === "" || /\s/.test(section.name)) {
        throw ansibleProblem(file, lineNo, null, `'${line}' does not name a group`);
      }
      group(inv, section.name);
      continue;
    }
    const tokens = shlexSplit(line);
    if (tokens === null) throw ansibleProblem(file, lineNo, null, "a quote is not closed");
    if (tokens.length === 0) continue;
    if (section.kind === "children") {
      if (tokens.length !== 1) {
        throw ansibleProblem(file, lineNo, null, `[${section.name}:children] lists one group name a line`);
      }
      const child = tokens[0] as string;
      group(inv, child);
      group(inv, section.name).children.add(child);
      continue;
    }
    if (section.kind === "vars") {
      // `key = value` and `key=value` are both valid in a vars section.
      const eq = line.indexOf("=");
      if (eq <= 0) throw ansibleProblem(file, lineNo, null, `expected key=value in [${section.name}:vars]`);
      const key = line.slice(0, eq).trim();
      const value = shlexSplit(line.slice(eq + 1).trim());
      if (value === null) throw ansibleProblem(file, lineNo, key, "a quote is not closed");
      group(inv, section.name).vars.set(key, { value: literal(value.join(" ")), file, line: lineNo });
      continue;
    }
    const [pattern = "", ...rest] = tokens;
    const vars = assignments(rest, file, lineNo, `host ${pattern}`);
    if (!(vars instanceof Map)) throw vars;
    // `host:port` (not an IPv6 address, which has more than one colon).
    let hostPattern = pattern;
    const portMatch = /^([^:]+):(\d+)$/.exec(pattern);
    if (portMatch) {
      hostPattern = portMatch[1] as string;
      vars.set("ansible_port", { value: Number(portMatch[2]), file, line: lineNo });
    }
    const names = expandHostRange(hostPattern);
    if (names === null) throw ansibleProblem(file, lineNo, null, `cannot expand the host range ${pattern}`);
    for (const name of names) addHost(inv, section.name, name, vars, { file, line: lineNo });
  }
  return inv;
}
