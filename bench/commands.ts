/**
 * The commands of one probe sweep, per node, as pvefix runs them: the peers then run exactly
 * these, so every contender does the same remote work.
 */
import { runbooks } from "../runbooks/index.js";
import { diagnose } from "../src/engine/diagnose.js";
import { loadInventory } from "../src/inventory/load.js";
import { SshTransport } from "../src/transport/ssh/index.js";

export async function sweepCommands(inventoryPath: string): Promise<Map<string, string[]>> {
  const inventory = loadInventory(inventoryPath);
  const transport = new SshTransport({ inventory });
  const perNode = new Map<string, string[]>(inventory.nodes.map((n) => [n.name, []]));
  try {
    await diagnose({
      transport,
      nodes: inventory.nodes.map((n) => n.name),
      cluster: inventory.cluster,
      runbooks,
      listener: { onCommand: ({ result }) => perNode.get(result.node)?.push(result.command) },
    });
  } finally {
    await transport.close();
  }
  return perNode;
}
