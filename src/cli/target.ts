/**
 * Which cluster a command talks to: the lab (`--lab`), an inventory (`-i`), the cluster of the
 * Proxmox VE node pvefix runs on (neither given), or an error saying how to choose.
 */
import * as path from "node:path";
import {
  type ClusterTarget,
  discoverThisNode,
  isPveNode,
  loadInventoryFile,
  openSshTransport,
  openThisNodeTransport,
  PVE_KNOWN_HOSTS,
  pveRoot,
  stateDirFault,
  type ThisNode,
} from "../index.js";
import { commandLine } from "../shell/quote.js";
import { GlobalOptionError, type GlobalOptions } from "./global-options.js";

export async function openTarget(globals: GlobalOptions): Promise<ClusterTarget> {
  if (globals.lab && globals.inventory) {
    throw new GlobalOptionError(
      "✖ --lab and -i/--inventory exclude each other: choose the lab or a real cluster",
    );
  }
  refuseSeveralInventories(globals);
  if (globals.group !== undefined && !globals.inventory) {
    throw new GlobalOptionError(
      "✖ --group picks the cluster in an Ansible inventory: give the inventory with -i FILE",
    );
  }
  // Each command starts a new process: load only the transport it uses.
  if (globals.lab) {
    const { LabTransport, labExists, labInventory, resetLab } = await import("../lab/index.js");
    // The lab is a training ground: a first use sets up the default scenario instead of failing.
    if (!labExists(globals.stateDir)) {
      try {
        await resetLab({ stateDir: globals.stateDir, scenario: "default" });
      } catch (error) {
        throw stateDirFault(globals.stateDir, error) ?? error;
      }
    }
    const inventory = labInventory(globals.stateDir);
    return {
      transport: new LabTransport({ stateDir: globals.stateDir }),
      nodes: inventory.nodes.map((n) => n.name),
      cluster: inventory.cluster,
    };
  }
  if (globals.inventory) {
    const loaded = loadInventoryFile(globals.inventory, { group: globals.group });
    for (const note of loaded.notes) process.stderr.write(`pvefix: ${note}\n`);
    const inventory = loaded.inventory;
    return {
      transport: await openSshTransport({ inventory, acceptNewHostKeys: globals.acceptNewHostKeys }),
      nodes: inventory.nodes.map((n) => n.name),
      cluster: inventory.cluster,
      inventoryPath: path.resolve(globals.inventory),
      ...(globals.group !== undefined ? { inventoryGroup: globals.group } : {}),
    };
  }
  const found = findThisNode();
  if (found.inventory.knownHosts?.endsWith(PVE_KNOWN_HOSTS) && globals.acceptNewHostKeys) {
    throw new GlobalOptionError(
      `✖ --accept-new-host-keys: on a Proxmox VE node every node's host key is pinned in ${PVE_KNOWN_HOSTS}, and pvefix does not add to it. ` +
        "A node missing there needs `pvecm updatecerts` run on it; or pass -i with an inventory of your own.",
    );
  }
  for (const note of found.notes) process.stderr.write(`pvefix: ${note}\n`);
  if (globals.verbose) {
    process.stderr.write(
      `pvefix: cluster ${found.inventory.cluster} (${found.inventory.nodes.map((n) => n.name).join(", ")}) from ${found.sources.join(", ")}; ${found.localNode ?? "no node"} locally\n`,
    );
  }
  return {
    transport: await openThisNodeTransport(found),
    nodes: found.inventory.nodes.map((n) => n.name),
    cluster: found.inventory.cluster,
  };
}

/** Every command but `diagnose` works on one cluster: several -i are refused, not cut to the first. */
export function refuseSeveralInventories(globals: GlobalOptions): void {
  const count = globals.inventories?.length ?? 0;
  if (count > 1) {
    throw new GlobalOptionError(
      `✖ -i/--inventory given ${count} times: only diagnose sweeps several clusters; give one inventory`,
    );
  }
}

/** The cluster of the PVE node this runs on; not a node (and no -i, no --lab): say how to choose. */
export function findThisNode(): ThisNode {
  const root = pveRoot();
  if (!isPveNode({ root })) {
    throw new GlobalOptionError(
      "✖ No cluster given: use -i/--inventory FILE for a real cluster or --lab for the embedded lab cluster " +
        "(on a Proxmox VE node pvefix finds its cluster itself; this machine is none: no /etc/pve/.members, no /var/lib/pve-cluster)",
    );
  }
  return discoverThisNode({ root });
}

/**
 * The flags that point a pvefix command at the same cluster as this one, so a printed next
 * command (`pvefix run stuck-lock --vmid 100 --lab`) works when pasted as it is.
 */
export function targetFlags(globals: GlobalOptions): string {
  const cluster = globals.lab
    ? "--lab"
    : globals.inventory
      ? commandLine([
          "-i",
          globals.inventory,
          ...(globals.group !== undefined ? ["--group", globals.group] : []),
        ])
      : "";
  return [cluster, stateFlags(globals)].filter(Boolean).join(" ");
}

/** `--state-dir DIR` when this command was given one: where the journal (and the lab) live. */
export function stateFlags(globals: GlobalOptions): string {
  return globals.stateDirFlag ? commandLine(["--state-dir", globals.stateDirFlag]) : "";
}
