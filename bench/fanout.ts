/**
 * `npm run bench`: pvefix's probe sweep (`diagnose` with every detector) against Ansible, parallel-ssh
 * and a bare ssh2 loop, on the same commands, on N loopback sshd nodes (each in its own mount
 * namespace with the test bed's Proxmox stand-ins; `pct list`/`qm list` cached per node, see
 * bench/standins/pct; the real `stat`, as no bench node has a hung storage for the bed's `stat` to fake). Prints medians, ratios and pvefix's peak memory.
 * Also prints, per contender, the CPU it used itself and the CPU the nodes spent for it (cpu-groups.ts).
 * With --latency, the same sweep again with every node behind a round-trip delay (bench/latency.ts:
 * a userspace delay, as this kernel has no netem): 1 ms for a LAN, 20 ms for a remote site.
 * With --jump, the remote site reached through a jump host (bench/jump.ts), the delay between the
 * client and the jump host. parallel-ssh opens a connection per command and host, so at 64 nodes
 * behind a delay one of its runs takes minutes: --pssh-runs caps how many rounds it takes part in.
 * Not a test: it asserts nothing and needs root (namespaces, cgroups) and the peers (scripts/install-bench-deps.sh).
 *   npm run bench -- [--nodes 4,16,64] [--runs 5] [--latency 0,1,20] [--jump 20] [--pssh-runs N]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startSshdCluster } from "../test/system/loopback/sshd-cluster.js";
import { sweepCommands } from "./commands.js";
import {
  median,
  patientInventory,
  type Timing,
  timeAnsible,
  timeFloor,
  timePssh,
  timePvefix,
} from "./contenders.js";
import { type Accounting, CpuGroup } from "./cpu-groups.js";
import { withJump } from "./jump.js";
import { withLatency } from "./latency.js";

// Run from source with tsx (it imports the test bed, which finds its scripts beside its source).
const root = fileURLToPath(new URL("..", import.meta.url));
const here = (p: string) => join(root, p);

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "4,16,64" },
    runs: { type: "string", default: "5" },
    latency: { type: "string", default: "0,1,20" },
    jump: { type: "string", default: "" },
    "pssh-runs": { type: "string" },
  },
});
const list = (text: string) => (text === "" ? [] : text.split(",").map(Number));
const sizes = list(values.nodes);
const routes = [
  ...list(values.latency).map((rttMs) => ({ rttMs, jump: false })),
  ...list(values.jump).map((rttMs) => ({ rttMs, jump: true })),
];
const runs = Number(values.runs);
const psshRuns = values["pssh-runs"] === undefined ? runs : Number(values["pssh-runs"]);

execFileSync("bash", [here("scripts/install-bench-deps.sh")], { stdio: "inherit" });

const contenders = ["pvefix", "ansible", "pssh", "floor"] as const;
type Contender = (typeof contenders)[number];
type Medians = Record<Contender, Timing>;

interface Row {
  nodes: number;
  /** Round trip added to every connection, ms. */
  rttMs: number;
  /** Through a jump host, the delay between the client and it. */
  jump: boolean;
  commands: number;
  medians: Medians;
  peakMb: number;
}
const rows: Row[] = [];

const medianOf = (timings: Timing[]): Timing => ({
  seconds: median(timings.map((t) => t.seconds)),
  ownCpu: median(timings.map((t) => t.ownCpu)),
  nodesCpu: median(timings.map((t) => t.nodesCpu)),
});

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
  patientInventory(cluster.inventoryPath);
  // One pair of CPU groups per bed: the nodes stay in theirs across the latency runs.
  const own = CpuGroup.create("contender");
  const nodes = CpuGroup.create("nodes");
  const accounting: Accounting = own && nodes ? { own, nodes } : null;
  try {
    if (accounting) for (const node of cluster.nodes) accounting.nodes.add(node.pid);
    const perNode = await sweepCommands(cluster.inventoryPath);
    const commands = [...perNode.values()].reduce((sum, list) => sum + list.length, 0);
    for (const { rttMs, jump } of routes) {
      const delayed = jump
        ? await withJump(cluster, rttMs, stateDir)
        : rttMs > 0
          ? await withLatency(cluster, rttMs, stateDir)
          : null;
      const bed = delayed?.view ?? cluster;
      const route = delayed && "route" in delayed ? delayed.route : undefined;
      try {
        if (accounting && delayed) {
          for (const pid of "pids" in delayed ? delayed.pids : [delayed.pid]) accounting.nodes.add(pid);
        }
        const times: Record<Contender, Timing[]> = { pvefix: [], ansible: [], pssh: [], floor: [] };
        let peakKb = 0;
        const rounds = n >= 64 ? Math.min(runs, 3) : runs;
        for (let r = 0; r < rounds; r++) {
          const p = timePvefix(accounting, root, bed.inventoryPath, stateDir, route ? { route } : {});
          times.pvefix.push(p);
          peakKb = Math.max(peakKb, p.peakKb);
          if (p.missed.length > 0) console.log(`  warning: pvefix did not reach ${p.missed.join("; ")}`);
          times.ansible.push(timeAnsible(accounting, bed, perNode, stateDir, route));
          if (r < psshRuns) times.pssh.push(timePssh(accounting, bed, perNode, route));
          times.floor.push(timeFloor(accounting, root, bed, perNode, stateDir, route));
        }
        const medians = Object.fromEntries(contenders.map((c) => [c, medianOf(times[c])])) as Medians;
        rows.push({ nodes: n, rttMs, jump, commands, medians, peakMb: peakKb / 1024 });
        const list = (c: Contender) => times[c].map((t) => t.seconds.toFixed(2)).join(" ");
        // Each row as soon as it is measured, own CPU too: a later failure must not lose it.
        const cpu = contenders.map((c) => `${c} ${medians[c].ownCpu.toFixed(2)}`).join(" · ");
        console.log(
          `${n} nodes, +${rttMs} ms${jump ? " via a jump host" : ""}, ${commands} commands, ${rounds} runs: pvefix ${list("pvefix")} s · ansible ${list("ansible")} s · pssh ${list("pssh")} s · floor ${list("floor")} s; own CPU medians: ${cpu} s; pvefix peak ${(peakKb / 1024).toFixed(0)} MB`,
        );
      } finally {
        await delayed?.stop();
      }
    }
  } finally {
    await cluster.stop();
    await own?.remove();
    await nodes?.remove();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const f = (x: number) => (Number.isNaN(x) ? "n/a" : x.toFixed(2));
const table = (title: string, header: string, line: (r: Row) => string[]) => {
  console.log(`\n${title}`);
  console.log(header);
  for (const r of rows)
    console.log(
      [String(r.nodes), `+${r.rttMs}${r.jump ? "J" : ""}`, String(r.commands), ...line(r)]
        .map((c) => c.padStart(7))
        .join("  "),
    );
};
const cols = "  nodes   rtt ms     cmds   pvefix  ansible     pssh    floor";

table(
  "medians (whole-command wall time, seconds) and pvefix's peak RSS",
  `${cols}  pvefix/ansible  pvefix/pssh  pvefix/floor  peak MB`,
  ({ medians: m, peakMb }) => [
    ...contenders.map((c) => f(m[c].seconds)),
    f(m.pvefix.seconds / m.ansible.seconds).padStart(14),
    f(m.pvefix.seconds / m.pssh.seconds).padStart(11),
    f(m.pvefix.seconds / m.floor.seconds).padStart(12),
    f(peakMb),
  ],
);
table(
  "CPU seconds the contender used itself (medians; its processes and their children)",
  `${cols}  pvefix/ansible`,
  ({ medians: m }) => [
    ...contenders.map((c) => f(m[c].ownCpu)),
    f(m.pvefix.ownCpu / m.ansible.ownCpu).padStart(14),
  ],
);
table(
  "CPU seconds the nodes spent for it (medians; every sshd and what it ran, on the same 2 cores)",
  cols,
  ({ medians: m }) => contenders.map((c) => f(m[c].nodesCpu)),
);
console.log("(+20J: through a jump host, the delay between the client and it)");
console.log("\ntargets: pvefix/ansible ≤ 0.20 (5× faster), pvefix/floor ≤ 1.5, peak < 150 MB at 64 nodes");
