/** Which cluster a command talks to: the lab (`--lab`), an inventory (`-i`), or an error saying how to choose. */
import * as path from "node:path";
import { type ClusterTarget, loadInventory, openSshTransport, stateDirFault } from "../index.js";
import { commandLine } from "../shell/quote.js";
import { GlobalOptionError, type GlobalOptions } from "./global-options.js";

export async function openTarget(globals: GlobalOptions): Promise<ClusterTarget> {
  if (globals.lab && globals.inventory) {
    throw new GlobalOptionError(
      "✖ --lab and -i/--inventory exclude each other: choose the lab or a real cluster",
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
    const inventory = loadInventory(globals.inventory);
    return {
      transport: await openSshTransport({ inventory, acceptNewHostKeys: globals.acceptNewHostKeys }),
      nodes: inventory.nodes.map((n) => n.name),
      cluster: inventory.cluster,
      inventoryPath: path.resolve(globals.inventory),
    };
  }
  throw new GlobalOptionError(
    "✖ No cluster given: use -i/--inventory FILE for a real cluster or --lab for the embedded lab cluster",
  );
}

/**
 * The flags that point a pvefix command at the same cluster as this one, so a printed next
 * command (`pvefix run stuck-lock --vmid 100 --lab`) works when pasted as it is.
 */
export function targetFlags(globals: GlobalOptions): string {
  const cluster = globals.lab ? "--lab" : globals.inventory ? commandLine(["-i", globals.inventory]) : "";
  return [cluster, stateFlags(globals)].filter(Boolean).join(" ");
}

/** `--state-dir DIR` when this command was given one: where the journal (and the lab) live. */
export function stateFlags(globals: GlobalOptions): string {
  return globals.stateDirFlag ? commandLine(["--state-dir", globals.stateDirFlag]) : "";
}
