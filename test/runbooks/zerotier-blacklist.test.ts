import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import zerotierBlacklist from "../../runbooks/zerotier-blacklist.js";
import { fingerprintFacts } from "../../src/engine/fingerprint.js";
import type { Action, PlanDraftInput, StepInput } from "../../src/engine/model.js";
import { createProbeContext } from "../../src/engine/probe-context.js";
import { parseZerotierLocalConf } from "../../src/pve/parsers/zerotier.js";
import {
  cidrContains,
  networkCidr,
  outsideInterfaces,
  parseDefaultRoutes,
} from "../../src/pve/probes/network.js";
import { memoryGrows, type ZerotierFacts, zerotierOf } from "../../src/pve/probes/zerotier.js";
import { FakeCluster } from "../engine/fake-cluster.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}.txt`, import.meta.url), "utf8");
const CONF = "/var/lib/zerotier-one/local.conf";
const ZT = "ztly5a3b2c";

const sample = (rssKiB: number, pid = 1843) => ({ pid, rssKiB, cpuPercent: 387, comm: "zerotier-one" });
const iface = (name: string, master: string | null, ...addrs: string[]) => ({ name, master, addrs });

/** pve1 as in seed 000: the ZeroTier tap in vmbr1 (corosync network), vmbr0 the way out, no local.conf. */
function facts(over: Partial<ZerotierFacts> = {}): ZerotierFacts {
  return {
    node: "pve1",
    installed: true,
    service: "active",
    memory: { first: sample(122_880), second: sample(131_072), growing: true },
    networks: [
      {
        nwid: "8056c2e21c000001",
        name: "homelab",
        mac: "5a:3c:71:02:9e:10",
        status: "OK",
        type: "PRIVATE",
        dev: ZT,
        ips: ["172.28.0.11/16"],
      },
    ],
    network: {
      interfaces: [
        iface("lo", null, "127.0.0.1/8", "::1/128"),
        iface("eno1", "vmbr0"),
        iface("eno2", "vmbr1"),
        iface("vmbr0", null, "10.0.0.11/24", "fe80::3eec:efff:fe10:2031/64"),
        iface("vmbr1", null, "10.10.10.11/24"),
        iface(ZT, "vmbr1", "172.28.0.11/16"),
        iface("fwbr100i0", null),
        iface("tap100i0", "fwbr100i0"),
      ],
      defaultRouteDevs: ["vmbr0"],
    },
    localConf: { state: "absent" },
    rings: [
      { node: "pve1", link: 0, addr: "10.10.10.11" },
      { node: "pve2", link: 0, addr: "10.10.10.12" },
    ],
    ...over,
  };
}

const decide = (f: ZerotierFacts) => zerotierBlacklist.decide({ node: "pve1" }, f);

function planOf(f: ZerotierFacts): PlanDraftInput {
  const d = decide(f);
  if (d.kind !== "plan") throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  return d.plan;
}

const commands = (actions: Action[]) => actions.map((a) => (a.kind === "exec" ? a.command : a.kind));

/** The local.conf a plan writes, parsed back the way zerotier-one reads it. */
function written(step: StepInput): Record<string, unknown> {
  const write = step.actions.find((a) => a.kind === "write-file");
  if (write?.kind !== "write-file") throw new Error("no write-file action");
  expect(write.path).toBe(CONF);
  const parsed = parseZerotierLocalConf(write.content);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

describe("zerotier-blacklist decide", () => {
  it("blacklists every private network and the internal bridge, then restarts zerotier-one, all safe", () => {
    const plan = planOf(facts());
    const [write, restart] = plan.steps;
    expect(plan.steps.map((s) => [s.id, s.risk])).toEqual([
      ["write-zerotier-local-conf", "safe"],
      ["restart-zerotier-one", "safe"],
    ]);
    expect(written(write!)).toEqual({
      physical: { "10.0.0.0/24": { blacklist: true }, "10.10.10.0/24": { blacklist: true } },
      settings: { interfacePrefixBlacklist: ["vmbr1"] },
    });
    expect(write!.files).toEqual([CONF]);
    expect(write!.reason).toContain(`${ZT} is a port of vmbr1`);
    expect(write!.reason).toContain("the way out stays open: eno1, vmbr0");
    expect(write!.undo).toMatchObject({
      kind: "actions",
      actions: [
        { kind: "restore-file", path: CONF },
        { kind: "exec", command: "systemctl restart zerotier-one" },
      ],
    });
    expect(commands(restart!.actions)).toEqual(["systemctl restart zerotier-one"]);
    expect(restart!.verify).toMatchObject([{ name: "zerotier-stable", node: "pve1", waitMs: 30_000 }]);
    expect(plan.warnings).toEqual([]);
  });

  it("keeps every other key of an existing local.conf and adds only what is missing", () => {
    const value = {
      physical: { "10.10.10.0/24": { trustedPathId: 101 } },
      settings: { primaryPort: 9993, interfacePrefixBlacklist: ["vmbr9"] },
      virtual: { abcdef0123: { try: ["203.0.113.7/9993"] } },
    };
    const plan = planOf(facts({ localConf: { state: "valid", text: JSON.stringify(value), value } }));
    expect(written(plan.steps[0]!)).toEqual({
      physical: {
        "10.10.10.0/24": { trustedPathId: 101, blacklist: true },
        "10.0.0.0/24": { blacklist: true },
      },
      settings: { primaryPort: 9993, interfacePrefixBlacklist: ["vmbr9", "vmbr1"] },
      virtual: { abcdef0123: { try: ["203.0.113.7/9993"] } },
    });
    expect(plan.steps[0]!.undo).toMatchObject({
      description: "put the previous local.conf back and restart zerotier-one",
    });
  });

  it("has nothing to do when broader entries and prefixes already cover everything", () => {
    const value = {
      physical: { "10.0.0.0/8": { blacklist: true } },
      settings: { interfacePrefixBlacklist: ["vmbr1"] },
    };
    const f = facts({
      localConf: { state: "valid", text: JSON.stringify(value), value },
      memory: { first: sample(11_840), second: sample(11_840), growing: false },
    });
    expect(decide(f)).toEqual({
      kind: "nothing-to-do",
      reason: `${CONF} already blacklists 10.0.0.0/24, 10.10.10.0/24, vmbr1 on pve1`,
    });
  });

  it("only restarts zerotier-one when the blacklist is complete but memory still grows", () => {
    const value = {
      physical: { "10.0.0.0/24": { blacklist: true }, "10.10.10.0/24": { blacklist: true } },
      settings: { interfacePrefixBlacklist: ["vmbr1"] },
    };
    const plan = planOf(facts({ localConf: { state: "valid", text: JSON.stringify(value), value } }));
    expect(plan.steps.map((s) => s.id)).toEqual(["restart-zerotier-one"]);
    expect(plan.steps[0]!.reason).toContain("the running daemon has not applied it");
  });

  it("replaces an invalid local.conf only behind a gate, keeping the old bytes for the backup", () => {
    const text = '{ "settings": { "primaryPort": 9993, }, }';
    const plan = planOf(
      facts({ localConf: { state: "invalid", text, error: "unable to parse local.conf (invalid JSON)" } }),
    );
    const write = plan.steps[0]!;
    expect(write.risk).toBe("guarded");
    expect(write.warning).toContain("is not valid JSON (unable to parse local.conf (invalid JSON))");
    expect(write.warning).toContain("The old bytes stay in the backup");
    expect(written(write)).toEqual({
      physical: { "10.0.0.0/24": { blacklist: true }, "10.10.10.0/24": { blacklist: true } },
      settings: { interfacePrefixBlacklist: ["vmbr1"] },
    });
  });

  it("has nothing to do when zerotier-one is not installed", () => {
    expect(decide(facts({ installed: false, service: "inactive" }))).toEqual({
      kind: "nothing-to-do",
      reason: "zerotier-one is not installed on pve1",
    });
  });

  it("refuses when no default route leaves the node outside ZeroTier", () => {
    const none = decide(facts({ network: { ...facts().network, defaultRouteDevs: [] } }));
    expect(none.kind === "refusal" && none.refusal).toMatchObject({ code: "probe-failed", node: "pve1" });
    const viaZt = decide(facts({ network: { ...facts().network, defaultRouteDevs: [ZT] } }));
    expect(viaZt.kind === "refusal" && viaZt.refusal.detail).toContain(`names ${ZT}`);
  });

  it("refuses to merge into a local.conf whose physical section is not an object", () => {
    const value = { physical: ["10.0.0.0/8"] };
    const d = decide(facts({ localConf: { state: "valid", text: JSON.stringify(value), value } }));
    expect(d.kind === "refusal" && d.refusal).toMatchObject({
      code: "invalid-config",
      message: `Cannot add the blacklist to ${CONF} on pve1`,
    });
  });

  it("warns when a corosync link runs over ZeroTier and gates the restart that degrades it, even with another link physical", () => {
    const rings = [
      { node: "pve1", link: 0, addr: "10.10.10.11" },
      { node: "pve1", link: 1, addr: "172.28.0.11" },
      { node: "pve2", link: 1, addr: "172.28.0.12" },
    ];
    const plan = planOf(facts({ rings }));
    expect(plan.warnings).toEqual([
      `corosync link 1 (ring1_addr) lies in the ZeroTier network 172.28.0.0/16 (network 8056c2e21c000001 on ${ZT}) for pve1 172.28.0.11, pve2 172.28.0.12: the cluster heartbeat depends on ZeroTier, whose latency spikes cost corosync tokens and can fence nodes; with the internal networks blacklisted, ZeroTier reaches the other nodes only through the way out. Move this link to a physical network.`,
    ]);
    // A guarded step: the plan is not unattended eligible while its own warning says link 1 degrades.
    expect(plan.steps.map((s) => s.risk)).toEqual(["safe", "guarded"]);
    expect(plan.steps[1]!.warning).toBe(
      "corosync link 1 of pve1 runs over ZeroTier: the restart drops it for a few seconds and the blacklist then routes it only through the way out, so the heartbeat is degraded to its other links meanwhile",
    );
  });

  it("gates the restart when every corosync link of the node runs over ZeroTier", () => {
    const plan = planOf(facts({ rings: [{ node: "pve1", link: 0, addr: "172.28.0.11" }] }));
    expect(plan.steps.map((s) => s.risk)).toEqual(["safe", "guarded"]);
    expect(plan.steps[1]!.warning).toContain("can cost quorum");
  });

  it("does not prefix-blacklist an internal name that begins the name of the way out", () => {
    const network = {
      interfaces: [
        iface("vmbr1", null, "10.10.10.11/24"),
        iface("vmbr10", null, "192.0.2.10/24"),
        iface(ZT, "vmbr1", "172.28.0.11/16"),
      ],
      defaultRouteDevs: ["vmbr10"],
    };
    const plan = planOf(facts({ network }));
    expect(written(plan.steps[0]!)).toEqual({ physical: { "10.10.10.0/24": { blacklist: true } } });
    expect(plan.warnings).toEqual([
      "vmbr1 is internal, but its name begins vmbr10 (the way out) and zerotier-one matches prefixes: vmbr1 is left out of interfacePrefixBlacklist and covered only by its networks.",
    ]);
  });

  it("warns when an existing prefix already blacklists the way out", () => {
    const value = { settings: { interfacePrefixBlacklist: ["vmbr"] } };
    const plan = planOf(facts({ localConf: { state: "valid", text: JSON.stringify(value), value } }));
    expect(plan.warnings).toEqual([
      `${CONF} already blacklists the prefix 'vmbr', which matches vmbr0, the way out: ZeroTier may find no path.`,
    ]);
  });

  it("writes the file but leaves a stopped zerotier-one stopped", () => {
    const memory = { first: null, second: null, growing: false };
    const plan = planOf(facts({ service: "inactive", memory }));
    expect(plan.steps.map((s) => s.id)).toEqual(["write-zerotier-local-conf"]);
    expect(commands(plan.steps[0]!.undo.kind === "actions" ? plan.steps[0]!.undo.actions : [])).toEqual([
      "restore-file",
    ]);
    expect(plan.warnings).toContain(
      "zerotier-one is inactive on pve1: the blacklist is written but the service is not started; start it with `systemctl start zerotier-one` when you are ready",
    );
  });

  it("starts a failed zerotier-one again with the blacklist", () => {
    const plan = planOf(facts({ service: "failed", memory: { first: null, second: null, growing: false } }));
    expect(plan.steps.map((s) => s.id)).toEqual(["write-zerotier-local-conf", "restart-zerotier-one"]);
    expect(plan.steps[1]!.reason).toContain("zerotier-one failed");
  });
});

describe("zerotier-blacklist stable facts", () => {
  it("leaves the rss and cpu samples out of the fingerprint but keeps whether memory grows", () => {
    const stable = zerotierBlacklist.stableFacts!;
    const a = facts();
    const b = facts({ memory: { first: sample(140_000), second: sample(150_000), growing: true } });
    expect(fingerprintFacts(stable(a))).toBe(fingerprintFacts(stable(b)));
    const calm = facts({ memory: { first: sample(11_840), second: sample(11_840), growing: false } });
    expect(fingerprintFacts(stable(calm))).not.toBe(fingerprintFacts(stable(a)));
  });
});

describe("zerotier network helpers", () => {
  it("computes IPv4 and IPv6 networks and containment", () => {
    expect(networkCidr("10.10.10.11/24")).toBe("10.10.10.0/24");
    expect(networkCidr("fd80:56c2:e21c:0:199:938a:3f2e:91c4/88")).toBe("fd80:56c2:e21c:0:199:9300::/88");
    expect(cidrContains("10.0.0.0/8", "10.10.10.0/24")).toBe(true);
    expect(cidrContains("10.10.10.0/24", "10.0.0.0/8")).toBe(false);
    expect(cidrContains("172.28.0.0/16", "172.28.0.12")).toBe(true);
    expect(cidrContains("fd80:56c2:e21c:0:199:9300::/88", "fd80:56c2:e21c:0:199:93ff:1:2")).toBe(true);
    expect(cidrContains("10.0.0.0/8", "fd80::1")).toBe(false);
  });

  it("reads single, multipath and absent default routes", () => {
    expect(parseDefaultRoutes(fixture("ip-route-default-vmbr0"))).toEqual(["vmbr0"]);
    expect(parseDefaultRoutes(fixture("ip-route-default-multipath"))).toEqual(["eno1", "eno2"]);
    expect(parseDefaultRoutes(fixture("ip-route-default-none"))).toEqual([]);
    expect(parseDefaultRoutes("")).toEqual([]);
  });

  it("counts the ports under the way out and a VLAN device's parent as the way out", () => {
    const view = {
      interfaces: [
        iface("eno1", "bond0"),
        iface("bond0", "vmbr0"),
        iface("vmbr0", null),
        iface("vmbr0.20", null),
      ],
      defaultRouteDevs: ["vmbr0.20"],
    };
    expect(outsideInterfaces(view)).toEqual(["eno1", "bond0", "vmbr0", "vmbr0.20"]);
  });

  it("does not call a restarted process growing", () => {
    expect(memoryGrows(sample(1_000), sample(900_000, 2001))).toBe(false);
    expect(memoryGrows(sample(1_000), sample(1_500))).toBe(false);
    expect(memoryGrows(sample(1_000), sample(2_024))).toBe(true);
  });
});

/** pve1 answering the probe's commands with the fixtures; `ps` grows by 8 MiB per call when looping. */
function fakeNode(options: { looping?: boolean; installed?: boolean } = {}): FakeCluster {
  const cluster = new FakeCluster(["pve1", "pve2"]);
  let rss = 122_880;
  cluster.file("pve1", "/etc/pve/corosync.conf", fixture("corosync-conf-ring1-zerotier"));
  cluster.on((node, argv) => {
    const line = argv.join(" ");
    if (options.installed === false || node !== "pve1") {
      if (line === "systemctl is-active zerotier-one") return { exitCode: 4, stdout: "inactive\n" };
      return undefined;
    }
    if (line === "systemctl is-active zerotier-one") return { stdout: "active\n" };
    if (line === "zerotier-cli listnetworks") return { stdout: fixture("zerotier-listnetworks-cluster") };
    if (line === "ps -C zerotier-one -o pid=,rss=,pcpu=,comm=") {
      if (options.looping !== false) rss += 8_192;
      return { stdout: `   1843 ${rss}  387 zerotier-one\n` };
    }
    if (line === "ip -j link show") return { stdout: fixture("ip-link-zerotier-in-vmbr1") };
    if (line === "ip -j addr show") return { stdout: fixture("ip-addr-zerotier-in-vmbr1") };
    if (line === "ip -j route show default") return { stdout: fixture("ip-route-default-vmbr0") };
    return undefined;
  });
  return cluster;
}

const ctxOf = (cluster: FakeCluster) =>
  createProbeContext({ transport: cluster, nodes: cluster.nodes, cluster: "lab", retries: 0 });

describe("zerotier-blacklist probe", () => {
  it("gathers service, growth, bridge ports, networks and corosync rings from the node", async () => {
    const f = await zerotierOf(ctxOf(fakeNode()), "pve1", { sampleIntervalMs: 0 });
    expect(f).toMatchObject({ installed: true, service: "active", localConf: { state: "absent" } });
    expect(f.memory).toMatchObject({
      growing: true,
      first: { rssKiB: 131_072 },
      second: { rssKiB: 139_264 },
    });
    expect(f.network.defaultRouteDevs).toEqual(["vmbr0"]);
    expect(f.network.interfaces.find((i) => i.name === ZT)).toEqual({
      name: ZT,
      master: "vmbr1",
      addrs: ["172.28.0.11/16", "fd80:56c2:e21c:0:199:938a:3f2e:91c4/88", "fe80::583c:71ff:fe02:9e10/64"],
    });
    expect(f.rings).toContainEqual({ node: "pve2", link: 1, addr: "172.28.0.12" });
    const plan = planOf(f);
    expect(written(plan.steps[0]!)).toEqual({
      physical: { "10.0.0.0/24": { blacklist: true }, "10.10.10.0/24": { blacklist: true } },
      settings: { interfacePrefixBlacklist: ["vmbr1"] },
    });
    expect(plan.warnings?.[0]).toContain(
      "corosync link 1 (ring1_addr) lies in the ZeroTier network 172.28.0.0/16",
    );
  });

  it("reads a node without zerotier-one as not installed and runs nothing else", async () => {
    const cluster = fakeNode({ installed: false });
    const f = await zerotierOf(ctxOf(cluster), "pve1", { sampleIntervalMs: 0 });
    expect(f.installed).toBe(false);
    expect(cluster.log.map((l) => l.command).sort()).toEqual([
      "systemctl is-active zerotier-one",
      "zerotier-cli listnetworks",
    ]);
  });

  it("refuses a node that is not in the inventory before running anything", async () => {
    const cluster = fakeNode();
    await expect(zerotierBlacklist.probe(ctxOf(cluster), { node: "pve9" })).rejects.toThrow(
      "node pve9 is not in the inventory (pve1, pve2)",
    );
    expect(cluster.log).toEqual([]);
  });
});

describe("zerotier-blacklist detect and check", () => {
  it("reports the loop as critical with the command that fixes it, and the heartbeat over ZeroTier", async () => {
    const findings = await zerotierBlacklist.detect!(ctxOf(fakeNode()));
    expect(findings.map((f) => [f.severity, f.node, f.command])).toEqual([
      ["critical", "pve1", "pvefix run zerotier-blacklist --node pve1"],
      ["warning", "pve1", "pvefix explain zerotier-blacklist"],
    ]);
    expect(findings[0]!.summary).toContain(`(${ZT} is a port of vmbr1: ZeroTier routes over itself)`);
  });

  it("reports an unblacklisted bridge port as a warning when memory holds still", async () => {
    const findings = await zerotierBlacklist.detect!(ctxOf(fakeNode({ looping: false })));
    expect(findings[0]).toMatchObject({
      severity: "warning",
      command: "pvefix run zerotier-blacklist --node pve1",
      summary: `${ZT} is a port of vmbr1 on pve1 and local.conf does not blacklist it: ZeroTier can route over itself`,
    });
  });

  it("fails the stability check while memory grows and passes once it holds still", async () => {
    const check = { name: "zerotier-stable", node: "pve1", description: "", args: {} };
    const growing = await zerotierBlacklist.checks!["zerotier-stable"]!(ctxOf(fakeNode()), check);
    expect(growing).toMatchObject({ ok: false });
    expect(growing.detail).toContain("grew from 128.0 MiB to 136.0 MiB");
    const steady = await zerotierBlacklist.checks!["zerotier-stable"]!(
      ctxOf(fakeNode({ looping: false })),
      check,
    );
    expect(steady.ok).toBe(true);
  });
});
