/** The lab cluster as an inventory: node names are their own hosts (the LabTransport resolves them). */
import { Inventory } from "../inventory/schema.js";
import { loadLabSync } from "./store.js";

export function labInventory(stateDir: string): Inventory {
  const state = loadLabSync(stateDir);
  return Inventory.parse({
    cluster: state.clusterName,
    nodes: state.nodes.map((n) => ({ name: n.name, host: n.name })),
  });
}
