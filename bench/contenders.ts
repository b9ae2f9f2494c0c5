/**
 * How each contender is run and timed, whole command from start to exit (start-up included).
 * Every contender starts without open connections; within one run, Ansible reuses one SSH
 * connection per host (ControlPersist), pvefix its pool, pssh opens one per command and host.
 * Each run also reports the CPU the contender used itself and the CPU the nodes spent for it
 * (see cpu-groups.ts), where this machine can account for it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { DIAGNOSE_EXIT } from "../src/cli/exit-codes.js";
import type { SshdCluster } from "../test/system/loopback/sshd-cluster.js";
import { type Accounting, measured } from "./cpu-groups.js";
import { JUMP_ALIAS, type JumpRoute } from "./jump.js";

/**
 * Seconds every contender waits for a connection. On this 2-core machine hundreds of bench nodes'
 * handshakes queue for the CPU behind the other jobs, and pvefix's default (4 s) then names nodes
 * unreachable: a sweep that misses nodes is a smaller sweep, not a faster one. Each contender is
 * given the same patience (pvefix `connectTimeout`, Ansible `timeout`, ssh `ConnectTimeout`).
 */
export const CONNECT_TIMEOUT_S = 30;

/** Rewrite a bench inventory in place with CONNECT_TIMEOUT_S for every node. */
export function patientInventory(path: string): void {
  const inventory = parse(readFileSync(path, "utf8")) as { defaults?: Record<string, unknown> };
  inventory.defaults = { ...inventory.defaults, connectTimeout: CONNECT_TIMEOUT_S };
  writeFileSync(path, stringify(inventory));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One contender's run: wall seconds, its own CPU seconds and the nodes' (NaN where not accounted). */
export interface Timing {
  seconds: number;
  ownCpu: number;
  nodesCpu: number;
}

function add(a: Timing, b: Timing): Timing {
  return { seconds: a.seconds + b.seconds, ownCpu: a.ownCpu + b.ownCpu, nodesCpu: a.nodesCpu + b.nodesCpu };
}

/** Run and time one contender. A non-zero exit is fine (a sweep reads files that may be absent); not starting is not. */
function timed(
  accounting: Accounting,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  okCodes = [0],
): { timing: Timing; stdout: string; stderr: string } {
  const [file, argv] = accounting ? accounting.own.wrap(command, args) : [command, args];
  const start = process.hrtime.bigint();
  const { result, ownCpu, nodesCpu } = measured(accounting, () =>
    spawnSync(file, argv, { env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 64 << 20 }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status === null || !okCodes.includes(result.status)) {
    throw new Error(`${command} exited ${result.status}: ${(result.stderr + result.stdout).slice(-3000)}`);
  }
  return { timing: { seconds, ownCpu, nodesCpu }, stdout: result.stdout, stderr: result.stderr };
}

/**
 * pvefix diagnose under GNU time for its peak RSS: over one inventory, or several in one command
 * (the fleet sweep, `extra` holding e.g. `--concurrency 8`). Through a jump host, pvefix reads the
 * route's ssh config as its ~/.ssh/config.
 */
export function timePvefix(
  accounting: Accounting,
  root: string,
  inventories: string | readonly string[],
  stateDir: string,
  options: { route?: JumpRoute; extra?: readonly string[] } = {},
): Timing & { peakKb: number; missed: string[] } {
  const targets = (typeof inventories === "string" ? [inventories] : inventories).flatMap((i) => ["-i", i]);
  const { timing, stdout, stderr } = timed(
    accounting,
    "/usr/bin/time",
    [
      "-f",
      "%M",
      "node",
      join(root, "bin/pvefix.js"),
      ...targets,
      "diagnose",
      "-o",
      "json",
      ...(options.extra ?? []),
    ],
    {
      ...process.env,
      PVEFIX_STATE_DIR: join(stateDir, "pvefix-state"),
      ...(options.route ? { HOME: options.route.home } : {}),
    },
    // diagnose says what it found with its exit code (findings, critical, incomplete): all ran.
    Object.values(DIAGNOSE_EXIT),
  );
  return { ...timing, peakKb: Number(stderr.trim().split("\n").at(-1)), missed: missedNodes(stdout) };
}

interface Unreached {
  node: string;
  code: string;
}
interface SweptCluster {
  cluster: string;
  nodes: { down: string[] };
  findings: Array<{ kind: string } & Partial<Unreached>>;
}
interface Swept extends Partial<SweptCluster> {
  clusters?: Array<{ source: string; diagnosis?: SweptCluster; error?: { message: string } }>;
}

/**
 * Nodes the sweep did not reach and why, and clusters it could not open (one diagnose or a
 * fleet's document): a timing with any is of a smaller sweep than the others' and must not be
 * compared as it is.
 */
export function missedNodes(stdout: string): string[] {
  const doc = JSON.parse(stdout) as Swept;
  const down = (d: Partial<SweptCluster>) =>
    (d.findings ?? [])
      .filter((f) => f.kind === "node-unreachable")
      .map((f) => `${d.cluster}/${f.node}: ${f.code}`);
  if (doc.clusters) {
    return doc.clusters.flatMap((c) =>
      c.error ? [`${c.source}: ${c.error.message}`] : c.diagnosis ? down(c.diagnosis) : [],
    );
  }
  return down(doc);
}

function sshOptions(cluster: SshdCluster, route?: JumpRoute): string {
  const jump = route ? ` -F ${route.sshConfig} -o ProxyJump=${JUMP_ALIAS}` : "";
  return `-o ConnectTimeout=${CONNECT_TIMEOUT_S} -o UserKnownHostsFile=${cluster.knownHostsPath} -o StrictHostKeyChecking=yes -o BatchMode=yes -i ${cluster.clientKeyPath}${jump}`;
}

export function timeAnsible(
  accounting: Accounting,
  cluster: SshdCluster,
  perNode: Map<string, string[]>,
  stateDir: string,
  route?: JumpRoute,
): Timing {
  const dir = mkdtempSync(join(stateDir, "ansible-"));
  const hosts = Object.fromEntries(
    cluster.nodes.map((n) => [
      n.name,
      {
        ansible_host: "127.0.0.1",
        ansible_port: n.port,
        ansible_user: "root",
        cmds: perNode.get(n.name) ?? [],
      },
    ]),
  );
  writeFileSync(join(dir, "inventory.json"), JSON.stringify({ all: { hosts } }));
  writeFileSync(
    join(dir, "play.yml"),
    '- hosts: all\n  gather_facts: false\n  tasks:\n    - raw: "{{ item }}"\n      loop: "{{ cmds }}"\n      failed_when: false\n',
  );
  writeFileSync(
    join(dir, "ansible.cfg"),
    [
      "[defaults]",
      `forks = ${cluster.nodes.length}`,
      "host_key_checking = True",
      `timeout = ${CONNECT_TIMEOUT_S}`,
      "interpreter_python = auto_silent",
      "[ssh_connection]",
      // A fresh control directory per run: connections are reused within the run, not across runs.
      `ssh_args = -o ControlMaster=auto -o ControlPersist=60s ${sshOptions(cluster, route)}`,
      `control_path_dir = ${join(dir, "cp")}`,
      "",
    ].join("\n"),
  );
  const { timing, stdout } = timed(
    accounting,
    "ansible-playbook",
    ["-i", join(dir, "inventory.json"), join(dir, "play.yml")],
    {
      ...process.env,
      ANSIBLE_CONFIG: join(dir, "ansible.cfg"),
      ANSIBLE_LOCAL_TEMP: join(dir, "tmp"),
    },
    [0, 4], // 4: a host was unreachable; said below, like pvefix's missed nodes
  );
  const unreachable = [...stdout.matchAll(/^(\S+)\s+: .*unreachable=[1-9]/gm)].map((m) => m[1]);
  if (unreachable.length > 0) console.log(`  warning: Ansible did not reach ${unreachable.join(", ")}`);
  // Close the control masters this run opened, so the next run starts without connections.
  spawnSync("bash", [
    "-c",
    `for s in ${join(dir, "cp")}/*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit dummy 2>/dev/null; done; true`,
  ]);
  return timing;
}

/** One parallel-ssh invocation per distinct command, over the hosts that run it. */
export function timePssh(
  accounting: Accounting,
  cluster: SshdCluster,
  perNode: Map<string, string[]>,
  route?: JumpRoute,
): Timing {
  const byCommand = new Map<string, string[]>();
  for (const n of cluster.nodes) {
    for (const command of new Set(perNode.get(n.name) ?? [])) {
      byCommand.set(command, [...(byCommand.get(command) ?? []), `root@127.0.0.1:${n.port}`]);
    }
  }
  let total: Timing = { seconds: 0, ownCpu: 0, nodesCpu: 0 };
  for (const [command, hosts] of byCommand) {
    const { timing } = timed(
      accounting,
      "parallel-ssh",
      [
        "-p",
        String(cluster.nodes.length),
        "-t",
        "30",
        "-x",
        sshOptions(cluster, route),
        ...hosts.flatMap((h) => ["-H", h]),
        command,
      ],
      process.env,
      [0, 5],
    ); // 5: the command failed on some host, like an absent optional file
    total = add(total, timing);
  }
  return total;
}

export function timeFloor(
  accounting: Accounting,
  root: string,
  cluster: SshdCluster,
  perNode: Map<string, string[]>,
  stateDir: string,
  route?: JumpRoute,
): Timing {
  const job = join(stateDir, "floor-job.json");
  writeFileSync(
    job,
    JSON.stringify({
      ...(route ? { jump: route.jump } : {}),
      nodes: cluster.nodes.map((n) => ({
        host: "127.0.0.1",
        port: n.port,
        user: "root",
        key: cluster.clientKeyPath,
        commands: perNode.get(n.name) ?? [],
      })),
    }),
  );
  return timed(accounting, "node", [join(root, "dist/bench/floor.js"), job]).timing;
}
