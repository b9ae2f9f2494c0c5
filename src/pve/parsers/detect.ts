/**
 * Which format a paste is, from the marks each tool leaves (headings, headers, key names). The
 * rules are ordered from the most specific mark to the most generic, and a candidate only counts
 * when its parser also reads the text, so a match is both recognised and readable.
 */
import type { ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";

type Rule = { format: string; test: (text: string, lines: string[]) => boolean };

const has = (re: RegExp) => (text: string) => re.test(text);
const jsonKeys = (text: string, keys: string[]) => {
  const head = text.trimStart();
  return (head.startsWith("{") || head.startsWith("[")) && keys.every((k) => text.includes(`"${k}"`));
};
const UNIT_STATES =
  /^(active|reloading|refreshing|inactive|failed|activating|deactivating|maintenance|unknown)$/;
const PROCESS_LINE = /\b(?:corosync|pmxcfs|pve-ha-lrm|pve-ha-crm)\[\d+\]:/;

const RULES: Rule[] = [
  { format: "pvereport", test: (t) => /^==== .+ ====$/m.test(t) && /^# \S/m.test(t) },
  // pvecm status runs `corosync-quorumtool -siH`: hex node ids tell it apart from the plain tool.
  { format: "pvecm-status", test: has(/^Cluster information\s*$|^Node ID:\s+0x[0-9a-f]+\s*$/m) },
  { format: "corosync-quorumtool", test: has(/^Quorum information\s*$/m) },
  // corosync down: pvecm status, pvecm nodes and corosync-quorumtool all print just this line.
  { format: "pvecm-status", test: has(/^Cannot initiali[sz]e (?:CMAP|QUORUM) service\s*$/m) },
  { format: "pvecm-nodes", test: has(/^Membership information\s*$/m) },
  {
    format: "corosync-qdevice-tool",
    test: has(/^Qdevice information\s*$|^Can't connect to QDevice socket/m),
  },
  { format: "corosync-cfgtool-nodes", test: has(/^nodeid:? \d+ (?:reachable|unreachable)/m) },
  {
    format: "corosync-cfgtool",
    test: has(
      /^(?:Printing (?:link|ring) status\.|Local node ID \d+|Could not initialize corosync configuration)/m,
    ),
  },
  // corosync-cmapctl prints `key (type) = value`, one key a line.
  {
    format: "corosync-cmapctl",
    test: has(/^[a-z][\w.-]* \((?:u8|u16|u32|u64|i8|i16|i32|i64|flt|dbl|str|bin)\) = /m),
  },
  { format: "corosync-conf", test: has(/^\s*totem\s*\{/m) },
  { format: "pct-list", test: has(/^VMID\s+Status\s+Lock\s+Name\b/m) },
  { format: "qm-list", test: has(/^\s*VMID\s+NAME\s+STATUS\b/m) },
  { format: "pvesm-status", test: has(/^\s*Name\s+Type\s+Status\s+Total\b/m) },
  { format: "pvesr-list", test: has(/^JobID\s+Target\s+Schedule\s+Rate\s+Enabled\b/m) },
  { format: "pvesr-status", test: has(/^JobID\s.*\bState\s*$/m) },
  { format: "ha-manager-status", test: has(/^(?:quorum (?:OK|No quorum)|master \S+ \(|lrm \S+ \()/m) },
  { format: "zerotier-listnetworks", test: has(/^200 listnetworks /m) },
  { format: "zerotier-info", test: has(/^(?:200 info |Error connecting to the ZeroTier service)/m) },
  { format: "task-log", test: has(/^TASK (?:OK|WARNINGS: \d+|ERROR: .*)\s*$/m) },
  { format: "replication-log", test: has(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+-\d+: /m) },
  { format: "cluster-log", test: (t) => jsonKeys(t, ["uid", "msg", "pri"]) },
  { format: "ip-addr", test: (t) => jsonKeys(t, ["ifname", "addr_info"]) },
  { format: "ip-link", test: (t) => jsonKeys(t, ["ifname", "link_type"]) },
  { format: "members", test: (t) => jsonKeys(t, ["nodename", "version"]) },
  { format: "vmlist", test: (t) => jsonKeys(t, ["version"]) && !t.includes('"nodename"') },
  {
    format: "zerotier-local-conf",
    test: (t) => t.trimStart().startsWith("{") && /"(?:physical|virtual|settings)"\s*:/.test(t),
  },
  { format: "corosync-log", test: (t) => PROCESS_LINE.test(t) },
  {
    format: "pve-journal",
    test: has(
      /\bpvestatd\[\d+\]:|cfs-lock '|error with cfs lock '|error during cfs-locked '|trying to acquire cfs lock|^storage '[^']+' is not online|^unable to activate storage '/m,
    ),
  },
  { format: "tasks-active", test: has(/^UPID:\S+ \d(?: [0-9A-Fa-f]{8} .*)?$/m) },
  { format: "upid", test: (_t, lines) => lines.length === 1 && /^UPID:\S+$/.test(lines[0]?.trim() ?? "") },
  {
    format: "proc-pid-stat",
    test: (_t, lines) => lines.length === 1 && /^\d+ \(.*\) [A-Za-z] /.test(lines[0] ?? ""),
  },
  { format: "ps", test: (_t, lines) => lines.every((l) => /^\s*\d+\s+\d+\s+\d+(?:[.,]\d+)?\s+\S/.test(l)) },
  { format: "proc-mounts", test: (_t, lines) => lines.every((l) => /^\S+ \/\S* \S+ \S+ \d+ \d+$/.test(l)) },
  {
    format: "systemctl-is-active",
    test: (_t, lines) =>
      lines.every(
        (l, i) => UNIT_STATES.test(l.trim()) || (i === 0 && /\bsystemctl\s.*\bis-active\s/.test(l)),
      ),
  },
  { format: "ha-resources", test: has(/^(?:vm|ct): \d+\s*$/m) },
  { format: "ha-groups", test: has(/^group: \S+\s*$/m) },
  { format: "ha-rules", test: has(/^(?:node-affinity|resource-affinity): \S+\s*$/m) },
  { format: "replication-cfg", test: has(/^local: \d+-\d+\s*$/m) },
  {
    format: "storage-cfg",
    test: has(
      /^(?:dir|nfs|cifs|lvm|lvmthin|zfspool|zfs|rbd|cephfs|pbs|iscsi|iscsidirect|glusterfs|btrfs|esxi): \S+\s*$/m,
    ),
  },
  {
    format: "guest-config",
    test: has(
      /^(?:arch|boot|cores|memory|ostype|rootfs|scsi\d|virtio\d|sata\d|ide\d|net\d|hostname|smbios1|vmgenid|lock): /m,
    ),
  },
];

export type Detection =
  /** `value` is what the format's parser returned (detection already parsed the text). */
  | { format: string; error: null; value: unknown }
  /** The marks of `format` are there but its parser refuses the text (a broken file, say). */
  | { format: string; error: Error }
  | { format: null; error: null };

/**
 * The first format whose marks are in the text and whose parser reads it. `formats` is the
 * registry (names not in it are skipped, so a rule for a format not built here is inert).
 */
export function detectFormat(text: string, formats: readonly ParserFormat[]): Detection {
  const lines = splitLines(text).filter((l) => l.trim() !== "");
  let firstFailure: Detection | null = null;
  if (lines.length === 0) return { format: null, error: null };
  for (const rule of RULES) {
    if (!rule.test(text, lines)) continue;
    if (rule.format === "pvereport") return { format: "pvereport", error: null, value: undefined };
    const parser = formats.find((f) => f.name === rule.format);
    if (!parser) continue;
    try {
      return { format: rule.format, error: null, value: parser.parse(text) };
    } catch (e) {
      // A mark without a readable body: remember it, and try the next, more generic, rule.
      firstFailure ??= { format: rule.format, error: e instanceof Error ? e : new Error(String(e)) };
    }
  }
  return firstFailure ?? { format: null, error: null };
}
