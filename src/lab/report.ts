/**
 * `pvefix lab report --node N`: what `pvereport` would print on a lab node. The commands and
 * layout follow pve-manager PVE/Report.pm (PVE 8/9): `==== title ====` groups, `# command` before
 * each output (stdout and stderr together, as its errfunc records both), guest configs through
 * `dir2text` (`# output '<dir><regexp>' file(s)` glued to the previous output, then `# cat <file>`
 * per file). Each command runs through the lab as it is, so what the lab does not implement
 * reads as the lab's own "not found", as a missing tool would on a node.
 */
import { labExec } from "./exec.js";

type Item = string | { dir: "/etc/pve/qemu-server/" | "/etc/pve/lxc/"; type: "qemu" | "lxc" };

// Report.pm's report_def, in its order (the ceph, zfs and hardware groups have nothing the lab models).
export const PVEREPORT_COMMANDS: ReadonlyArray<{ title: string; items: readonly Item[] }> = [
  {
    title: "general system info",
    items: ["hostname", "date -R", "pveversion --verbose", "cat /etc/hosts", "pvesubscription get", "lscpu"],
  },
  {
    title: "overall system load info",
    items: ["top -b -c -w512 -n 1 -o TIME | head -n 30"],
  },
  {
    title: "info about storage",
    items: ["cat /etc/pve/storage.cfg", "pvesm status", "cat /etc/fstab", "findmnt --ascii", "df --human -T"],
  },
  {
    title: "info about virtual guests",
    items: [
      "qm list",
      { dir: "/etc/pve/qemu-server/", type: "qemu" },
      "pct list",
      { dir: "/etc/pve/lxc/", type: "lxc" },
    ],
  },
  {
    title: "info about network",
    items: ["ip -details -statistics address", "ip -details -4 route show", "cat /etc/network/interfaces"],
  },
  {
    title: "info about cluster",
    items: [
      "pvecm nodes",
      "pvecm status",
      "cat /etc/pve/corosync.conf 2>/dev/null",
      "ha-manager status",
      "cat /etc/pve/datacenter.cfg",
    ],
  },
  { title: "info about replication", items: ["cat /etc/pve/replication.cfg"] },
];

export interface LabReportOptions {
  stateDir: string;
  node: string;
}

/** The pvereport of one lab node, as text. */
export async function labPveReport(options: LabReportOptions): Promise<string> {
  const run = async (command: string): Promise<string> => {
    const outcome = await labExec({ stateDir: options.stateDir, node: options.node, command });
    // Report.pm bounds each command (run_command's timeout) and records the error instead.
    if (outcome === "hang") return `ERROR: command '${command}' failed: got timeout\n`;
    if (outcome === "drop") return `ERROR: command '${command}' failed: connection lost\n`;
    const text = outcome.stdout + outcome.stderr;
    return text === "" || text.endsWith("\n") ? text : `${text}\n`;
  };
  let report = "";
  for (const group of PVEREPORT_COMMANDS) {
    report += `\n==== ${group.title} ====\n`;
    for (const item of group.items) {
      if (typeof item === "string") {
        report += `\n# ${item}\n${await run(item)}`;
        continue;
      }
      report += `# output '${item.dir}\\d+\\.conf' file(s)\n`;
      for (const vmid of await localGuests(options, item.type)) {
        report += `\n# cat ${item.dir}${vmid}.conf\n${await run(`cat ${item.dir}${vmid}.conf`)}\n`;
      }
    }
  }
  return report;
}

/** What `/etc/pve/qemu-server/` (or `lxc/`) lists on the node: its own guests. */
async function localGuests(options: LabReportOptions, type: "qemu" | "lxc"): Promise<number[]> {
  const outcome = await labExec({
    stateDir: options.stateDir,
    node: options.node,
    command: "cat /etc/pve/.vmlist",
  });
  if (typeof outcome === "string" || outcome.exitCode !== 0) return [];
  // The lab wrote this .vmlist itself; read it as plain JSON (the lab does not lean on pvefix's parsers).
  const ids = (JSON.parse(outcome.stdout) as { ids?: Record<string, { node?: string; type?: string }> }).ids;
  return Object.entries(ids ?? {})
    .filter(([, g]) => g.node === options.node && g.type === type)
    .map(([vmid]) => Number(vmid))
    .sort((a, b) => a - b);
}
