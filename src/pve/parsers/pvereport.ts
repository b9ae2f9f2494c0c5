/**
 * A whole `pvereport` (proxmox/pve-manager PVE/Report.pm): sections `\n==== <title> ====\n`, each
 * command's output after a `\n# <command>\n` line (stdout and stderr together, since `errfunc`
 * records both), files of a directory as `# cat <dir><file>`, and `ERROR: <msg>` when a command
 * died. Each command's output is read with the format of that command.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";

export const ReportSection = z.object({
  /** The `==== title ====` group it belongs to (`general system info`, `info about cluster`). */
  group: z.string(),
  command: z.string(),
  /** 1-based line of the `# command` header. */
  line: z.number().int().positive(),
  /** The format used for the output; null when pvefix has no parser for this command. */
  format: z.string().nullable(),
  value: z.unknown().optional(),
  /** Why the output could not be read with its format. */
  error: z.string().optional(),
  /** The raw output, for commands without a parser. */
  text: z.string().optional(),
});
export type ReportSection = z.infer<typeof ReportSection>;

export const PveReport = z.object({
  /** From the `hostname` section; null when the report has none. */
  node: z.string().nullable(),
  /** The report's time as printed by `date -R` (pve-manager ≥ 8), when present. */
  time: z.string().nullable(),
  /** pve-manager's version (`9.1.4`) from `pveversion [--verbose]`, when present. */
  pveVersion: z.string().nullable(),
  sections: z.array(ReportSection),
});
export type PveReport = z.infer<typeof PveReport>;

// First words of the commands Report.pm runs (all PVE versions seen); a `# ...` line inside a
// command's output (comments in /etc/hosts or /etc/network/interfaces) starts with none of them.
const COMMANDS = new Set(
  (
    "hostname pveversion cat top pvesubscription lscpu pvesh pvesm findmnt df qm pct ip iptables-save " +
    "pvecm dmidecode lspci lsblk ls iscsiadm pvs lvs vgs zpool zfs ceph pveceph multipath ha-manager pvesr " +
    "corosync-cfgtool corosync-quorumtool corosync-qdevice-tool systemctl journalctl dpkg apt uname uptime " +
    "free mount lsmod sysctl pveceph echo rbd ps nft ipset pve-firewall numactl arcstat dmesg date head " +
    "apt-cache apt-mark proxmox-boot-tool zarcstat"
  ).split(" "),
);
const SECTION = /^==== (.+) ====\s*$/;
const HEADER = /^# (\S+)(?: .*)?$/;
// pve-manager ≥ 8 `dir2text` opens its files with this line, glued to the previous output (no blank line).
const DIR_HEADER = /^# output '.*' file\(s\)$/;

/** Format per command; guest configs are matched by their path. */
function formatFor(command: string): string | null {
  const c = command.replace(/\s+2>\/dev\/null$/, "").trim();
  const exact: Record<string, string> = {
    "pvecm status": "pvecm-status",
    "pvecm nodes": "pvecm-nodes",
    "pvesm status": "pvesm-status",
    "qm list": "qm-list",
    "pct list": "pct-list",
    "ha-manager status": "ha-manager-status",
    "pvesr status": "pvesr-status",
    "pvesr list": "pvesr-list",
    "corosync-cfgtool -s": "corosync-cfgtool",
    "corosync-cfgtool -n": "corosync-cfgtool-nodes",
    "corosync-quorumtool -s": "corosync-quorumtool",
    "corosync-qdevice-tool -s": "corosync-qdevice-tool",
    "corosync-qdevice-tool -sv": "corosync-qdevice-tool",
    "cat /etc/pve/storage.cfg": "storage-cfg",
    "cat /etc/pve/corosync.conf": "corosync-conf",
    "cat /etc/corosync/corosync.conf": "corosync-conf",
    "cat /etc/pve/replication.cfg": "replication-cfg",
    "cat /etc/pve/ha/resources.cfg": "ha-resources",
    "cat /etc/pve/ha/groups.cfg": "ha-groups",
    "cat /etc/pve/ha/rules.cfg": "ha-rules",
    "cat /etc/pve/.members": "members",
    "cat /etc/pve/.vmlist": "vmlist",
    "cat /proc/mounts": "proc-mounts",
  };
  if (exact[c]) return exact[c];
  if (/^cat \/etc\/pve\/(?:qemu-server|lxc|nodes\/[^/]+\/(?:qemu-server|lxc))\/\d+\.conf$/.test(c))
    return "guest-config";
  if (/^systemctl is-active /.test(c)) return "systemctl-is-active";
  if (/^pvesh get \/cluster\/log\b/.test(c)) return "cluster-log";
  return null;
}

type Raw = { group: string; command: string; line: number; lines: string[] };

function split(text: string): Raw[] {
  const lines = splitLines(text);
  const out: Raw[] = [];
  let group = "";
  let current: Raw | null = null;
  lines.forEach((line, i) => {
    const section = SECTION.exec(line);
    if (section) {
      group = section[1] as string;
      current = null;
      return;
    }
    const header = HEADER.exec(line);
    const isCommand =
      header && COMMANDS.has(header[1] as string) && (i === 0 || (lines[i - 1] as string).trim() === "");
    if (isCommand || DIR_HEADER.test(line)) {
      current = { group, command: line.slice(2).trim(), line: i + 1, lines: [] };
      out.push(current);
      return;
    }
    (current as Raw | null)?.lines.push(line);
  });
  return out;
}

/** One captured command of a pvereport with its output as printed (stdout and stderr together). */
export interface RawReportSection {
  group: string;
  command: string;
  /** 1-based line of the `# command` header. */
  line: number;
  body: string;
}

/** A pvereport's commands and their raw outputs, in order; empty when it has no command header. */
export function splitPveReport(text: string): RawReportSection[] {
  return split(text).map((raw) => {
    // Report.pm separates commands with empty lines; trailing ones belong to no output.
    while (raw.lines.length > 0 && (raw.lines[raw.lines.length - 1] as string).trim() === "") raw.lines.pop();
    const body = raw.lines.length === 0 ? "" : `${raw.lines.join("\n")}\n`;
    return { group: raw.group, command: raw.command, line: raw.line, body };
  });
}

/** Split a pvereport into its commands and read each with its format (unknown ones kept as text). */
export function parsePveReport(text: string, formats: readonly ParserFormat[]): PveReport {
  const raws = split(text);
  if (raws.length === 0) {
    throw new ParseError("pvereport", "no '# <command>' header lines: this is not a pvereport");
  }
  const sections = raws.map((raw): ReportSection => {
    // Report.pm separates commands with empty lines; trailing ones belong to no output.
    while (raw.lines.length > 0 && (raw.lines[raw.lines.length - 1] as string).trim() === "") raw.lines.pop();
    const body = raw.lines.length === 0 ? "" : `${raw.lines.join("\n")}\n`;
    const name = formatFor(raw.command);
    const base = { group: raw.group, command: raw.command, line: raw.line };
    if (name === null) return { ...base, format: null, text: body };
    const parser = formats.find((f) => f.name === name);
    if (!parser) return { ...base, format: null, text: body };
    try {
      return { ...base, format: name, value: parser.parse(body) };
    } catch (e) {
      return { ...base, format: name, error: e instanceof Error ? e.message : String(e), text: body };
    }
  });
  const hostname =
    sections
      .find((s) => s.command === "hostname")
      ?.text?.trim()
      .split("\n")[0] ?? null;
  // `pve-manager/9.1.4/...` (plain pveversion) or `pve-manager: 9.1.4 (running ...)` (--verbose).
  const versionLine = raws
    .find((r) => r.command.startsWith("pveversion"))
    ?.lines.find((l) => /^pve-manager[:/]/.test(l));
  const version = versionLine ? (/^pve-manager[:/]\s*([^/\s]+)/.exec(versionLine)?.[1] ?? null) : null;
  const date =
    sections
      .find((s) => s.command === "date -R")
      ?.text?.trim()
      .split("\n")[0] ?? null;
  return { node: hostname || null, time: date || null, pveVersion: version, sections };
}
