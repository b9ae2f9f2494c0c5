/**
 * How each contender is run and timed, whole command from start to exit (start-up included).
 * Every contender starts without open connections; within one run, Ansible reuses one SSH
 * connection per host (ControlPersist), pvefix its pool, pssh opens one per command and host.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SshdCluster } from "../test/system/loopback/sshd-cluster.js";

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Run and time one contender. A non-zero exit is fine (a sweep reads files that may be absent); not starting is not. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, okCodes = [0]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status === null || !okCodes.includes(result.status)) {
    throw new Error(`${command} exited ${result.status}: ${(result.stderr + result.stdout).slice(-3000)}`);
  }
  return seconds;
}

/** pvefix diagnose under GNU time for its peak RSS. */
export function timePvefix(
  root: string,
  inventoryPath: string,
  stateDir: string,
): { seconds: number; peakKb: number } {
  const start = process.hrtime.bigint();
  const result = spawnSync(
    "/usr/bin/time",
    ["-f", "%M", "node", join(root, "bin/pvefix.js"), "-i", inventoryPath, "diagnose", "-o", "json"],
    { env: { ...process.env, PVEFIX_STATE_DIR: join(stateDir, "pvefix-state") }, encoding: "utf8" },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`pvefix diagnose exited ${result.status}: ${result.stderr}`);
  const peakKb = Number(result.stderr.trim().split("\n").at(-1));
  return { seconds, peakKb };
}

function sshOptions(cluster: SshdCluster): string {
  return `-o UserKnownHostsFile=${cluster.knownHostsPath} -o StrictHostKeyChecking=yes -o BatchMode=yes -i ${cluster.clientKeyPath}`;
}

export function timeAnsible(cluster: SshdCluster, perNode: Map<string, string[]>, stateDir: string): number {
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
      "interpreter_python = auto_silent",
      "[ssh_connection]",
      // A fresh control directory per run: connections are reused within the run, not across runs.
      `ssh_args = -o ControlMaster=auto -o ControlPersist=60s ${sshOptions(cluster)}`,
      `control_path_dir = ${join(dir, "cp")}`,
      "",
    ].join("\n"),
  );
  const seconds = timed("ansible-playbook", ["-i", join(dir, "inventory.json"), join(dir, "play.yml")], {
    ...process.env,
    ANSIBLE_CONFIG: join(dir, "ansible.cfg"),
    ANSIBLE_LOCAL_TEMP: join(dir, "tmp"),
  });
  // Close the control masters this run opened, so the next run starts without connections.
  spawnSync("bash", [
    "-c",
    `for s in ${join(dir, "cp")}/*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit dummy 2>/dev/null; done; true`,
  ]);
  return seconds;
}

/** One parallel-ssh invocation per distinct command, over the hosts that run it. */
export function timePssh(cluster: SshdCluster, perNode: Map<string, string[]>): number {
  const byCommand = new Map<string, string[]>();
  for (const n of cluster.nodes) {
    for (const command of new Set(perNode.get(n.name) ?? [])) {
      byCommand.set(command, [...(byCommand.get(command) ?? []), `root@127.0.0.1:${n.port}`]);
    }
  }
  let seconds = 0;
  for (const [command, hosts] of byCommand) {
    seconds += timed(
      "parallel-ssh",
      [
        "-p",
        String(cluster.nodes.length),
        "-t",
        "30",
        "-x",
        sshOptions(cluster),
        ...hosts.flatMap((h) => ["-H", h]),
        command,
      ],
      process.env,
      [0, 5],
    ); // 5: the command failed on some host, like an absent optional file
  }
  return seconds;
}

export function timeFloor(
  root: string,
  cluster: SshdCluster,
  perNode: Map<string, string[]>,
  stateDir: string,
): number {
  const job = join(stateDir, "floor-job.json");
  writeFileSync(
    job,
    JSON.stringify({
      nodes: cluster.nodes.map((n) => ({
        host: "127.0.0.1",
        port: n.port,
        user: "root",
        key: cluster.clientKeyPath,
        commands: perNode.get(n.name) ?? [],
      })),
    }),
  );
  return timed("node", [join(root, "dist/bench/floor.js"), job]);
}
