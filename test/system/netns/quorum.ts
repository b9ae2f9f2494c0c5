/** What the corosync system tests ask of the real cluster in the namespaces, and how they wait for it. */
import type { Gate } from "../../../src/engine/apply.js";
import type { CorosyncCluster } from "./cluster.js";

/** corosync's own answer inside the node (exit 0 quorate, 2 not, 1 no corosync) and its member ids. */
export async function quorumOf(
  bed: CorosyncCluster,
  node: string,
): Promise<{ code: number; members: number[] }> {
  const r = await bed.inNode(node, ["corosync-quorumtool", "-s"]);
  const members = [...r.stdout.matchAll(/^\s+(\d+)\s+\d+\s+\S+/gm)].map((m) => Number(m[1]));
  return { code: r.code, members };
}

// Generous: knet usually rejoins a node 3–7 s after its links are back, but a CI run saw a rejoin
// take more than 20 s after node1's links were cut and restored (twice in one run, passing later).
/** Poll `test` every 100 ms until it holds; the milliseconds it took. */
export async function until(what: string, test: () => Promise<boolean>, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  while (!(await test())) {
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return Math.round(performance.now() - started);
}

/** An operator who says yes to everything, typing the node name where asked. */
export const operator: Gate = async (request) => ({
  approved: true,
  answer: request.confirm === "node-name" ? request.step.node : "yes",
});
