/**
 * The fleet sweep (issue 15): C clusters of N nodes in one `pvefix diagnose -i … -i …`, C = 1, 2,
 * 4, 8 by default: wall time, pvefix's peak RSS, the CPU it used itself and the CPU the nodes spent,
 * and how each grows with C. Every cluster is a bed of the fan-out benchmark (loopback sshd, each
 * node in its own mount namespace with the test bed's stand-ins, bench/seed-fanout.sh), named
 * fan1…fanC; all of them run at once on this machine, on the same cores as pvefix.
 * `--concurrency` is diagnose's bound (clusters swept at once); each value is measured where it
 * differs from C.
 * Not a test: it asserts nothing and needs root (namespaces, cgroups).
 *   npm run build && npx tsx bench/fleet-sweep.ts [--clusters 1,2,4,8] [--nodes 32] [--runs 3] [--concurrency 4,8]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type SshdCluster, startSshdCluster } from "../test/system/loopback/sshd-cluster.js";
import { median, patientInventory, timePvefix } from "./contenders.js";
import { type Accounting, CpuGroup } from "./cpu-groups.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const here = (p: string) => join(root, p);

const { values } = parseArgs({
  options: {
    clusters: { type: "string", default: "1,2,4,8" },
    nodes: { type: "string", default: "32" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "4,8" },
  },
});
const counts = values.clusters.split(",").map(Number);
const perCluster = Number(values.nodes);
const runs = Number(values.runs);
const bounds = values.concurrency.split(",").map(Number);
const most = Math.max(...counts);

const work = mkdtempSync(join(tmpdir(), "pvefix-fleet-bench-"));
const beds: SshdCluster[] = [];
const own = CpuGroup.create("fleet-contender");
const nodes = CpuGroup.create("fleet-nodes");
const accounting: Accounting = own && nodes ? { own, nodes } : null;

interface Row {
  clusters: number;
  concurrency: number;
  seconds: number;
  peakMb: number;
  ownCpu: number;
  nodesCpu: number;
  spread: string;
}
const rows: Row[] = [];

try {
  const started = Date.now();
  for (let k = 1; k <= most; k++) {
    const stateDir = join(work, `fan${k}`);
    execFileSync(here("bench/seed-fanout.sh"), [stateDir, String(perCluster)], { stdio: "ignore" });
    const bed = await startSshdCluster({
      nodes: Array.from({ length: perCluster }, (_, i) => `pve${i + 1}`),
      stateDir,
      cluster: `fan${k}`,
      binDirs: [
        here("bench/standins"),
        here("test/system/standins/fixed-quorum"),
        here("test/system/standins/common"),
      ],
      launcher: here("test/system/pve-bed/node-namespace.sh"),
    });
    patientInventory(bed.inventoryPath);
    beds.push(bed);
    if (accounting) for (const node of bed.nodes) accounting.nodes.add(node.pid);
  }
  console.log(`${most} clusters × ${perCluster} nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  for (const c of counts) {
    const inventories = beds.slice(0, c).map((b) => b.inventoryPath);
    for (const bound of [...new Set(bounds.map((b) => Math.min(b, c)))]) {
      const timings = [];
      for (let r = 0; r < runs; r++) {
        // One -i is a single diagnose: the same file twice is a fleet of one (swept once), so every row is a fleet sweep.
        const given = c === 1 ? [...inventories, ...inventories] : inventories;
        const t = timePvefix(accounting, root, given, work, { extra: ["--concurrency", String(bound)] });
        if (t.missed.length > 0) console.log(`  warning: not reached in this run: ${t.missed.join("; ")}`);
        timings.push(t);
      }
      const row: Row = {
        clusters: c,
        concurrency: bound,
        seconds: median(timings.map((t) => t.seconds)),
        peakMb: median(timings.map((t) => t.peakKb)) / 1024,
        ownCpu: median(timings.map((t) => t.ownCpu)),
        nodesCpu: median(timings.map((t) => t.nodesCpu)),
        spread: timings.map((t) => t.seconds.toFixed(2)).join(" "),
      };
      rows.push(row);
      console.log(
        `${c} × ${perCluster} nodes, ${bound} at once: ${row.spread} s, peak ${timings.map((t) => (t.peakKb / 1024).toFixed(0)).join(" ")} MB`,
      );
    }
  }
} finally {
  await Promise.all(beds.map((b) => b.stop()));
  await own?.remove();
  await nodes?.remove();
  rmSync(work, { recursive: true, force: true });
}

const f = (x: number) => (Number.isNaN(x) ? "n/a" : x.toFixed(2));
console.log(`\nfleet sweep, ${perCluster} nodes a cluster, medians of ${runs} runs`);
console.log("clusters  nodes  at once  wall s  per cluster s  peak RSS MB  own CPU s  nodes CPU s");
for (const r of rows) {
  console.log(
    [
      String(r.clusters).padStart(8),
      String(r.clusters * perCluster).padStart(5),
      String(r.concurrency).padStart(7),
      f(r.seconds).padStart(6),
      f(r.seconds / r.clusters).padStart(13),
      f(r.peakMb).padStart(11),
      f(r.ownCpu).padStart(9),
      f(r.nodesCpu).padStart(11),
    ].join("  "),
  );
}
