/**
 * CPU time charged to a process tree, read from a cgroup: the benchmark's nodes run on the same
 * 2 cores as the contender, so wall time mixes the contender's own work with the nodes' work
 * (handshakes, sshd sessions, the commands). Counting each side apart says which one a figure
 * is made of. cgroup v1 `cpuacct` when mounted (Debian 12 in a VM), else v2's `cpu.stat`.
 * Processes stay in their group when they fork, so everything a contender or a node starts counts.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface Layout {
  root: string;
  /** Nanoseconds of CPU used by the group's processes, alive or gone. */
  usageNs: (dir: string) => number;
}

function layout(): Layout | null {
  const v1 = "/sys/fs/cgroup/cpuacct";
  if (existsSync(join(v1, "cpuacct.usage"))) {
    return { root: v1, usageNs: (dir) => Number(readFileSync(join(dir, "cpuacct.usage"), "utf8")) };
  }
  const v2 = "/sys/fs/cgroup";
  if (existsSync(join(v2, "cgroup.controllers"))) {
    return {
      root: v2,
      usageNs: (dir) => {
        const line = readFileSync(join(dir, "cpu.stat"), "utf8").match(/^usage_usec (\d+)$/m);
        return Number(line?.[1] ?? Number.NaN) * 1000;
      },
    };
  }
  return null;
}

export class CpuGroup {
  private constructor(
    private readonly dir: string,
    private readonly usageNs: (dir: string) => number,
  ) {}

  /** A fresh group, or null where this machine has no cgroup to account with (the figures are then left out). */
  static create(name: string): CpuGroup | null {
    const found = layout();
    if (!found) return null;
    const dir = join(found.root, `pvefix-bench-${name}-${process.pid}`);
    try {
      mkdirSync(dir);
    } catch {
      return null;
    }
    return new CpuGroup(dir, found.usageNs);
  }

  /** Move a running process (and so its later children) into the group. */
  add(pid: number): void {
    writeFileSync(join(this.dir, "cgroup.procs"), String(pid));
  }

  /** `command args…` wrapped so that it runs inside the group from its first instruction. */
  wrap(command: string, args: readonly string[]): [string, string[]] {
    const procs = join(this.dir, "cgroup.procs");
    return ["sh", ["-c", `echo $$ > ${procs} && exec "$@"`, "sh", command, ...args]];
  }

  seconds(): number {
    return this.usageNs(this.dir) / 1e9;
  }

  /** Remove the group once its processes have ended (sshd sessions can outlive their listener briefly). */
  async remove(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EBUSY" || attempt === 50) {
          console.error(`could not remove cgroup ${this.dir}: ${(error as Error).message}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

/** Where CPU is counted: the contender's processes and the nodes' (every sshd and what it starts). */
export type Accounting = { own: CpuGroup; nodes: CpuGroup } | null;

/** CPU seconds the contender used itself and the nodes spent on its behalf, during `run` (NaN unaccounted). */
export function measured<T>(
  groups: Accounting,
  run: () => T,
): { result: T; ownCpu: number; nodesCpu: number } {
  const before = groups && { own: groups.own.seconds(), nodes: groups.nodes.seconds() };
  const result = run();
  if (!groups || !before) return { result, ownCpu: Number.NaN, nodesCpu: Number.NaN };
  return {
    result,
    ownCpu: groups.own.seconds() - before.own,
    nodesCpu: groups.nodes.seconds() - before.nodes,
  };
}
