import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { USER_HZ } from "../../../src/lab/model/clock.js";
import { mainKey } from "../../../src/lab/model/guest-conf.js";
import { REQUIRED_KEYS, readSections, writeSections } from "../../../src/lab/model/section-config.js";
import { listScenarios, scenarios } from "../../../src/lab/scenarios/index.js";
import { LabState } from "../../../src/lab/state.js";
import { memoryLab } from "../helpers.js";

interface Task {
  node: string;
  pid: number;
  pstart: number;
  type: string;
  id: string;
  running: boolean;
}

function tasks(lab: ReturnType<typeof memoryLab>, node: string): Task[] {
  return (lab.node(node).files["/var/log/pve/tasks/active"] ?? "")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [upid = "", saved] = line.split(" ");
      const f = upid.split(":");
      return {
        node: f[1] ?? "",
        pid: Number.parseInt(f[2] ?? "", 16),
        pstart: Number.parseInt(f[3] ?? "", 16),
        type: f[5] ?? "",
        id: f[6] ?? "",
        running: saved === "0",
      };
    });
}

function alive(lab: ReturnType<typeof memoryLab>, task: Task): boolean {
  return lab.node(task.node).procs.some((p) => p.pid === task.pid && p.starttime === task.pstart);
}

describe("scenario registry", () => {
  it("registers every scenario each file in src/lab/scenarios declares, default first, each name once", async () => {
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../src/lab/scenarios");
    const declared: string[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      if (["index.ts", "types.ts", "registry.ts"].includes(file)) continue;
      const module = (await import(path.join(dir, file))) as { scenarios?: Array<{ name: string }> };
      expect(module.scenarios, `${file} declares no \`scenarios\` list`).toBeDefined();
      declared.push(...module.scenarios!.map((s) => s.name));
    }
    const names = listScenarios().map((s) => s.name);
    expect([...names].sort()).toEqual(declared.sort());
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe("default");
    expect(names).toEqual(
      expect.arrayContaining(["stuck-lock-no-quorum", "corosync-stale-config", "ha-replication-recovery"]),
    );
    for (const s of listScenarios()) expect(s.description).not.toContain("\n");
  });

  it.each(scenarios.map((s) => s.name))("builds a valid state for %s", (name) => {
    const state = scenarios.find((s) => s.name === name)!.build();
    expect(LabState.safeParse(state).success).toBe(true);
  });

  it.each(scenarios.map((s) => s.name))(
    "gives every running guest of %s a live process on its owner node",
    (name) => {
      const lab = memoryLab(name);
      for (const [vmid, runtime] of Object.entries(lab.state.guests)) {
        if (runtime.status !== "running") continue;
        const owner = Object.keys(lab.state.pve)
          .find((p) => new RegExp(`/${vmid}\\.conf$`).test(p))
          ?.split("/")[1];
        expect(lab.node(owner ?? "").procs.some((p) => p.pid === runtime.pid)).toBe(true);
      }
    },
  );

  // Only the scenarios that have such files: the others would compare nothing.
  const sectionFiles = ["ha/resources.cfg", "ha/groups.cfg", "ha/rules.cfg", "replication.cfg"];
  const withSections = scenarios.filter((s) => sectionFiles.some((f) => s.build().pve[f] !== undefined));
  it.each(withSections.map((s) => s.name))(
    "writes the HA and replication files of %s exactly as PVE's SectionConfig writer would",
    (name) => {
      const state = scenarios.find((s) => s.name === name)!.build();
      for (const file of sectionFiles) {
        const text = state.pve[file];
        if (text === undefined) continue;
        expect(writeSections(readSections(text), REQUIRED_KEYS)).toBe(text);
      }
    },
  );

  it.each(scenarios.map((s) => s.name))(
    "gives every active pve-cluster of %s its pmxcfs and pid file",
    (name) => {
      const lab = memoryLab(name);
      for (const node of lab.state.nodes) {
        if (node.services["pve-cluster"] !== "active") continue;
        const pmxcfs = node.procs.filter((p) => p.unit === "pve-cluster");
        expect(pmxcfs).toHaveLength(1);
        expect(node.files["/run/pve-cluster.pid"]).toBe(`${pmxcfs[0]?.pid}\n`);
      }
    },
  );

  it("reads a state saved before the issue-3 fields existed", () => {
    const state = JSON.parse(JSON.stringify(memoryLab().state)) as Record<string, unknown>;
    delete state.replication;
    for (const node of state.nodes as Array<Record<string, unknown>>) {
      for (const key of ["pmxcfsHung", "links", "defaultRoute", "zerotier", "volumes"]) delete node[key];
      for (const proc of node.procs as Array<Record<string, unknown>>) {
        for (const key of ["args", "rss", "cpuPermille", "unit"]) delete proc[key];
      }
    }
    const parsed = LabState.parse(state);
    expect(parsed.nodes[0]).toMatchObject({ pmxcfsHung: false, links: [], zerotier: null, volumes: [] });
    expect(parsed.replication).toEqual({});
  });
});

describe("default scenario", () => {
  it("holds VM 200's migrate lock with a qmigrate task whose pid and start time are alive", () => {
    const lab = memoryLab();
    const migrate = tasks(lab, "pve1").find((t) => t.type === "qmigrate" && t.id === "200");
    expect(migrate?.running).toBe(true);
    expect(alive(lab, migrate!)).toBe(true);
    expect(mainKey(lab.state.pve["nodes/pve1/qemu-server/200.conf"] ?? "", "lock")).toBe("migrate");
  });

  it("leaves CT 100's backup lock stale: no running vzdump is alive and the last one ended badly", () => {
    const lab = memoryLab();
    const vzdumps = tasks(lab, "pve1").filter((t) => t.type === "vzdump");
    expect(vzdumps.some((t) => t.running)).toBe(true);
    expect(vzdumps.filter((t) => t.running).some((t) => alive(lab, t))).toBe(false);
    expect(lab.node("pve1").files["/var/log/pve/tasks/active"]).toMatch(
      /:vzdump:100:root@pam: 1 [0-9A-F]{8} unexpected status\n/,
    );
  });

  it("hangs nfs-backup only on pve2, where running CT 105 uses it, and nfs-iso only on pve3", () => {
    const lab = memoryLab();
    const hung = lab.state.nodes.map((n) => [
      n.name,
      n.mounts.filter((m) => m.hung).map((m) => m.mountpoint),
    ]);
    expect(hung).toEqual([
      ["pve1", []],
      ["pve2", ["/mnt/pve/nfs-backup"]],
      ["pve3", ["/mnt/pve/nfs-iso"]],
    ]);
    expect(lab.sh("pve2", "pct config 105").stdout).toContain(
      "mp0: nfs-backup:105/vm-105-disk-1.raw,mp=/data,size=8G\n",
    );
  });

  it("starts every process after its node booted", () => {
    const lab = memoryLab();
    for (const node of lab.state.nodes) {
      const uptimeTicks = (lab.state.clock - node.bootTime) * USER_HZ;
      for (const proc of node.procs) expect(proc.starttime).toBeLessThanOrEqual(uptimeTicks);
    }
  });
});

describe("stuck-lock scenario", () => {
  it("runs a multi-guest vzdump with an empty id whose UPID is in vzdump.pid", () => {
    const lab = memoryLab("stuck-lock");
    const job = tasks(lab, "pve2").find((t) => t.type === "vzdump");
    expect(job?.id).toBe("");
    expect(alive(lab, job!)).toBe(true);
    expect(lab.sh("pve2", "cat /var/run/vzdump.pid").stdout).toMatch(
      /^UPID:pve2:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:vzdump::root@pam:\n$/,
    );
  });

  it("points CT 103's running vzdump at a recycled pid: alive, but with another start time", () => {
    const lab = memoryLab("stuck-lock");
    const task = tasks(lab, "pve3").find((t) => t.type === "vzdump" && t.id === "103")!;
    expect(task.running).toBe(true);
    expect(lab.node("pve3").procs.some((p) => p.pid === task.pid)).toBe(true);
    expect(alive(lab, task)).toBe(false);
  });

  it("keeps VM 201 suspended with a vmstate and VM 204 unlocked except in its snapshot", () => {
    const lab = memoryLab("stuck-lock");
    const vm201 = lab.state.pve["nodes/pve2/qemu-server/201.conf"] ?? "";
    expect(mainKey(vm201, "lock")).toBe("suspended");
    expect(mainKey(vm201, "vmstate")).toMatch(/^local-lvm:vm-201-state-/);
    const vm204 = lab.state.pve["nodes/pve3/qemu-server/204.conf"] ?? "";
    expect(mainKey(vm204, "lock")).toBeNull();
    expect(vm204).toMatch(/\n\n\[before-upgrade\]\n[^[]*lock: backup\n/);
  });
});

describe("hung-nfs scenario", () => {
  it("has a hung cifs mount under a stopped VM and a dead server only for pve3's nfs-dead", () => {
    const lab = memoryLab("hung-nfs");
    expect(lab.node("pve1").mounts.find((m) => m.fstype === "cifs")).toMatchObject({
      hung: true,
      mountpoint: "/mnt/pve/smb-tmpl",
    });
    expect(lab.state.guests["210"]?.status).toBe("stopped");
    expect(lab.state.nfsServers).toEqual({ "10.10.20.99": "down" });
    expect(lab.node("pve3").mounts.find((m) => m.mountpoint === "/mnt/pve/nfs-dead")?.hung).toBe(true);
  });
});
