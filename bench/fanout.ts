/**
 * `npm run bench`: pvefix's probe sweep (`diagnose` with every detector) against Ansible, parallel-ssh
 * and a bare ssh2 loop, on the same commands, on N loopback sshd nodes (each in its own mount
 * namespace with the test bed's Proxmox stand-ins; `pct list`/`qm list` cached per node, see
 * bench/standins/pct). Prints medians, ratios and pvefix's peak memory.
 * Not a test: it asserts nothing and needs root (namespaces) and the peers (scripts/install-bench-deps.sh).
 *   npm run bench -- [--nodes 4,16,64] [--runs 5]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startSshdCluster } from "../test/system/loopback/sshd-cluster.js";
import { sweepCommands } from "./commands.js";
import { median, timeAnsible, timeFloor, timePssh, timePvefix } from "./contenders.js";

// Run from source with tsx (it imports the test bed, which finds its scripts beside its source).
const root = fileURLToPath(new URL("..", import.meta.url));
const here = (p: string) => join(root, p);

const { values } = parseArgs({
  options: { nodes: { type: "string", default: "4,16,64" }, runs: { type: "string", default: "5" } },
});
const sizes = values.nodes.split(",").map(Number);
const runs = Number(values.runs);

execFileSync("bash", [here("scripts/install-bench-deps.sh")], { stdio: "inherit" });

interface Row {
  nodes: number;
  commands: number;
  pvefix: number;
  ansible: number;
  pssh: number;
  floor: number;
  peakMb: number;
}
const rows: Row[] = [];

for (const n of sizes) {
  const stateDir = mkdtempSync(join(tmpdir(), `pvefix-bench-${n}-`));
  execFileSync(here("bench/seed-fanout.sh"), [stateDir, String(n)], { stdio: "ignore" });
  const cluster = await startSshdCluster({
    nodes: Array.from({ length: n }, (_, i) => `pve${i + 1}`),
    stateDir,
    cluster: "fan",
    binDirs: [
      here("bench/standins"),
      here("test/system/standins/fixed-quorum"),
      here("test/system/standins/common"),
    ],
    launcher: here("test/system/pve-bed/node-namespace.sh"),
  });
  try {
    const perNode = await sweepCommands(cluster.inventoryPath);
    const commands = [...perNode.values()].reduce((sum, list) => sum + list.length, 0);
    const times = {
      pvefix: [] as number[],
      ansible: [] as number[],
      pssh: [] as number[],
      floor: [] as number[],
    };
    let peakKb = 0;
    const rounds = n >= 64 ? Math.min(runs, 3) : runs;
    for (let r = 0; r < rounds; r++) {
      const p = timePvefix(root, cluster.inventoryPath, stateDir);
      times.pvefix.push(p.seconds);
      peakKb = Math.max(peakKb, p.peakKb);
      times.ansible.push(timeAnsible(cluster, perNode, stateDir));
      times.pssh.push(timePssh(cluster, perNode));
      times.floor.push(timeFloor(root, cluster, perNode, stateDir));
    }
    rows.push({
      nodes: n,
      commands,
      pvefix: median(times.pvefix),
      ansible: median(times.ansible),
      pssh: median(times.pssh),
      floor: median(times.floor),
      peakMb: peakKb / 1024,
    });
    console.log(
      `${n} nodes, ${commands} commands, ${rounds} runs: pvefix ${times.pvefix.map((t) => t.toFixed(2)).join(" ")} s · ansible ${times.ansible.map((t) => t.toFixed(2)).join(" ")} s`,
    );
  } finally {
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const f = (x: number) => x.toFixed(2);
console.log("\nmedians (whole-command wall time, seconds) and pvefix's peak RSS");
console.log(
  "nodes  cmds  pvefix  ansible  pssh    floor   pvefix/ansible  pvefix/pssh  pvefix/floor  peak MB",
);
for (const r of rows) {
  console.log(
    `${String(r.nodes).padStart(5)}  ${String(r.commands).padStart(4)}  ${f(r.pvefix).padStart(6)}  ${f(r.ansible).padStart(7)}  ${f(r.pssh).padStart(6)}  ${f(r.floor).padStart(6)}  ${f(r.pvefix / r.ansible).padStart(14)}  ${f(r.pvefix / r.pssh).padStart(11)}  ${f(r.pvefix / r.floor).padStart(12)}  ${f(r.peakMb).padStart(7)}`,
  );
}
console.log("\ntargets: pvefix/ansible ≤ 0.20 (5× faster), pvefix/floor ≤ 1.5, peak < 150 MB at 64 nodes");
