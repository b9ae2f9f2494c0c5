/**
 * Guest config files: `/etc/pve/nodes/<node>/qemu-server/<vmid>.conf` and `.../lxc/<vmid>.conf`
 * (proxmox-facts §5.1), read like `parse_vm_config` / `parse_pct_config`.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";
import { decodePveText } from "./pve-text.js";

export { setMainKey } from "./guest-config-edit.js";
export { GuestVolume, guestVolumes } from "./guest-volumes.js";

const Props = z.record(z.string(), z.string());

export const GuestConfig = z.object({
  /** Keys of the main section (before the first `[section]`), in file order. */
  main: Props,
  /** The guest lock: `lock:` of the main section only. */
  lock: z.string().nullable(),
  /** The `#` comment lines of the main section, URI-decoded, joined by newlines. */
  description: z.string(),
  /** `[PENDING]` (VMs) or `[pve:pending]` (CTs); `null` when absent. */
  pending: Props.nullable(),
  /** Snapshot sections by name; their own `#` lines appear as a `description` key. */
  snapshots: z.record(z.string(), Props),
  /** `[special:cloudinit]`, `[special:fleecing]` (VMs) by name. */
  specials: z.record(z.string(), Props),
});
export type GuestConfig = z.infer<typeof GuestConfig>;

const FORMAT = "guest-config";
const SECTION = /^\[([^\]]+)\]\s*$/;
const RAW_LXC = /^(lxc\.[A-Za-z0-9_.-]+)(?::|\s*=)\s*(.*?)\s*$/;
const KEY_VALUE = /^([a-z][a-z0-9_-]*):\s*(.*?)\s*$/;

export function parseGuestConfig(text: string): GuestConfig {
  const config: GuestConfig = {
    main: {},
    lock: null,
    description: "",
    pending: null,
    snapshots: {},
    specials: {},
  };
  let props = config.main;
  let comments: string[] = [];
  let isMain = true;

  const finishDescription = () => {
    const description = comments.join("\n").trimEnd();
    if (isMain) config.description = description;
    else if (description !== "") props.description = description;
    comments = [];
  };

  splitLines(text).forEach((line, index) => {
    const lineNo = index + 1;
    if (/^\s*$/.test(line)) return;
    const section = SECTION.exec(line);
    if (section) {
      finishDescription();
      props = openSection(config, section[1] as string, lineNo);
      isMain = false;
      return;
    }
    if (line.startsWith("#")) {
      comments.push(decodePveText(line.slice(1)));
      return;
    }
    // PVE keeps every raw `lxc.*` line in a list; here a repeated key keeps its last value.
    const match = RAW_LXC.exec(line) ?? KEY_VALUE.exec(line);
    if (!match) throw new ParseError(FORMAT, `expected 'key: value', got '${line}'`, lineNo);
    const key = match[1] as string;
    const value = match[2] as string;
    if (value === "" && !key.startsWith("lxc.")) {
      throw new ParseError(FORMAT, `'${key}' has no value (PVE ignores such a line)`, lineNo);
    }
    if (key === "description") comments.push(decodePveText(value));
    else props[key] = value;
  });
  finishDescription();
  config.lock = config.main.lock ?? null;
  return config;
}

function openSection(config: GuestConfig, name: string, lineNo: number): Record<string, string> {
  const fresh: Record<string, string> = {};
  if (/^(pending|pve:pending)$/i.test(name)) {
    if (config.pending !== null) throw new ParseError(FORMAT, "duplicate pending section", lineNo);
    config.pending = fresh;
    return fresh;
  }
  const special = /^special:([A-Za-z0-9_-]+)$/i.exec(name);
  const [kind, table, key] = special
    ? ["special", config.specials, special[1] as string]
    : ["snapshot", config.snapshots, name];
  if (!special && !/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    throw new ParseError(FORMAT, `unknown section '[${name}]'`, lineNo);
  }
  if (Object.hasOwn(table, key))
    throw new ParseError(FORMAT, `duplicate ${kind} section '[${name}]'`, lineNo);
  table[key] = fresh;
  return fresh;
}

export const guestConfigFormat: ParserFormat<GuestConfig> = {
  name: FORMAT,
  description:
    "A VM or CT config file (qm config / pct config / <vmid>.conf): keys, lock, pending, snapshots",
  schema: GuestConfig,
  parse: parseGuestConfig,
};
