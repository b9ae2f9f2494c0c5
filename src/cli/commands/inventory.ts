/**
 * `pvefix inventory`: the inventory a command would use, printed as an inventory file (the YAML
 * `-i` loads): the cluster this Proxmox VE node belongs to, an `-i` file (an Ansible inventory
 * comes out converted) or the lab.
 */
import { dumpInventory, type Inventory, loadInventoryFile } from "../../index.js";
import { GlobalOptionError, type GlobalOptions } from "../global-options.js";
import { withEnvelope } from "../output.js";
import { findThisNode, refuseSeveralInventories } from "../target.js";
import { print } from "./shared.js";

export async function runInventory(globals: GlobalOptions): Promise<number> {
  refuseSeveralInventories(globals);
  if (globals.lab && globals.inventory) {
    throw new GlobalOptionError(
      "✖ --lab and -i/--inventory exclude each other: choose the lab or a real cluster",
    );
  }
  let inventory: Inventory;
  let header: string[] = [];
  if (globals.lab) {
    const { labExists, labInventory, resetLab } = await import("../../lab/index.js");
    if (!labExists(globals.stateDir)) await resetLab({ stateDir: globals.stateDir, scenario: "default" });
    inventory = labInventory(globals.stateDir);
    header = ["the embedded lab cluster (reached with --lab, not over SSH)"];
  } else if (globals.inventory) {
    const loaded = loadInventoryFile(globals.inventory, { group: globals.group });
    inventory = loaded.inventory;
    const what =
      loaded.format === "pvefix"
        ? ""
        : `the ${loaded.format === "ansible-ini" ? "INI" : "YAML"} Ansible inventory `;
    header = [
      `read from ${what}${globals.inventory}${loaded.group ? `, group ${loaded.group}` : ""}`,
      ...loaded.notes,
    ];
  } else {
    const found = findThisNode();
    inventory = found.inventory;
    header = [
      `found on ${found.localNode ?? "this machine"} from ${found.sources.join(", ")}`,
      ...(found.localNode ? [`pvefix run here without -i reaches ${found.localNode} without SSH`] : []),
      ...found.notes,
    ];
  }
  if (globals.output === "json") {
    print(
      withEnvelope(JSON.stringify({ kind: "inventory", notes: header, inventory }), "json", {
        cluster: inventory.cluster,
      }),
    );
    return 0;
  }
  print(`${header.map((line) => `# ${line}`).join("\n")}\n${dumpInventory(inventory)}`);
  return 0;
}
