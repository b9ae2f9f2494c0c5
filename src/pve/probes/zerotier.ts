/**
 * ZeroTier on one node: is zerotier-one installed and running, does its memory grow (a ZeroTier port in a
 * bridge routes ZeroTier over itself until the OOM killer or the HA watchdog ends it), which networks it
 * joined, what local.conf says, and which corosync links run over ZeroTier. Probes change nothing.
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { parseCorosyncConf } from "../parsers/corosync-conf.js";
import { ParseError } from "../parsers/format.js";
import { PsSample, parsePsSample } from "../parsers/ps-sample.js";
import { UnitState, unitStates } from "../parsers/systemctl-is-active.js";
import {
  parseZerotierListNetworks,
  parseZerotierLocalConf,
  ZerotierLocalConf,
  ZerotierNetwork,
} from "../parsers/zerotier.js";
import { cidrContains, NetworkView, networkCidr, networkOf, parseIp } from "./network.js";

export const ZEROTIER_LOCAL_CONF = "/var/lib/zerotier-one/local.conf";

/** Unit states in which zerotier-one runs (and can loop). */
export const ZEROTIER_RUNNING: ReadonlySet<string> = new Set([
  "active",
  "reloading",
  "refreshing",
  "activating",
]);
/** Time between the two memory samples; the loop grows by megabytes per second. */
export const SAMPLE_INTERVAL_MS = 2_000;
/**
 * The wait the probes and the `zerotier-stable` check use between the samples. Tests against the lab set it
 * to 0: the lab's looping zerotier-one grows per `ps` sample, not per second, so waiting proves nothing there.
 */
export const zerotierSampling = { intervalMs: SAMPLE_INTERVAL_MS };
/** Growth between the two samples that counts as the loop, not allocator noise. */
export const GROWTH_THRESHOLD_KIB = 1_024;

export const LocalConf = z.discriminatedUnion("state", [
  z.object({ state: z.literal("absent") }),
  z.object({ state: z.literal("valid"), text: z.string(), value: ZerotierLocalConf }),
  /** zerotier-one exits on this file; `error` uses its words. */
  z.object({ state: z.literal("invalid"), text: z.string(), error: z.string() }),
]);
export type LocalConf = z.infer<typeof LocalConf>;

export const MemorySamples = z.object({
  first: PsSample.nullable(),
  second: PsSample.nullable(),
  /** Same process in both samples, and its resident memory grew by GROWTH_THRESHOLD_KIB or more. */
  growing: z.boolean(),
});
export type MemorySamples = z.infer<typeof MemorySamples>;

export const RingAddress = z.object({ node: z.string(), link: z.number().int(), addr: z.string() });
export type RingAddress = z.infer<typeof RingAddress>;

export const ZerotierFacts = z.object({
  node: z.string(),
  installed: z.boolean(),
  service: UnitState,
  memory: MemorySamples,
  networks: z.array(ZerotierNetwork),
  network: NetworkView,
  localConf: LocalConf,
  /** Every `ringN_addr` of /etc/pve/corosync.conf (all nodes). */
  rings: z.array(RingAddress),
});
export type ZerotierFacts = z.infer<typeof ZerotierFacts>;

export async function zerotierOf(
  ctx: ProbeContext,
  node: string,
  options: { sampleIntervalMs?: number } = {},
): Promise<ZerotierFacts> {
  const [unit, cli] = await Promise.all([
    ctx.run(node, "systemctl is-active zerotier-one"),
    ctx.run(node, "zerotier-cli listnetworks"),
  ]);
  const service = unitStates(["zerotier-one"], unit.stdout)["zerotier-one"]!;
  // systemd answers exit 4 for a unit it does not know (older versions exit 3), the shell 127 for the CLI.
  const installed = service !== "inactive" || (unit.exitCode !== 4 && cli.exitCode !== 127);
  if (!installed) {
    return {
      node,
      installed,
      service,
      memory: { first: null, second: null, growing: false },
      networks: [],
      network: { interfaces: [], defaultRouteDevs: [] },
      localConf: { state: "absent" },
      rings: [],
    };
  }
  // Not answering (`Error connecting to the ZeroTier service`) means no networks are known.
  const networks = cli.exitCode === 0 ? parseZerotierListNetworks(cli.stdout) : [];
  const [memory, network, localConf, rings] = await Promise.all([
    sampleZerotierOne(ctx, node, options.sampleIntervalMs ?? zerotierSampling.intervalMs),
    networkOf(ctx, node),
    readLocalConf(ctx, node),
    corosyncRings(ctx, node),
  ]);
  return { node, installed, service, memory, networks, network, localConf, rings };
}

const PS = "ps -C zerotier-one -o pid=,rss=,pcpu=,comm=";

/** Two `ps` samples SAMPLE_INTERVAL_MS apart (the probe waits in real time between them). */
export async function sampleZerotierOne(
  ctx: ProbeContext,
  node: string,
  intervalMs: number,
): Promise<MemorySamples> {
  // `fresh`: the second sample must really be taken later, even in a memoizing sweep.
  const sample = async () => parsePsSample((await ctx.run(node, PS, { fresh: true })).stdout)[0] ?? null;
  const first = await sample();
  // Nothing runs, nothing can grow: do not make every sweep wait for a second sample.
  if (!first) return { first, second: null, growing: false };
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
  const second = await sample();
  return { first, second, growing: memoryGrows(first, second) };
}

export function memoryGrows(first: PsSample | null, second: PsSample | null): boolean {
  // A restart between the samples gives a new pid: the two values are not comparable.
  if (!first || !second || first.pid !== second.pid) return false;
  return second.rssKiB - first.rssKiB >= GROWTH_THRESHOLD_KIB;
}

export async function readLocalConf(ctx: ProbeContext, node: string): Promise<LocalConf> {
  const text = await ctx.readFile(node, ZEROTIER_LOCAL_CONF);
  if (text === null) return { state: "absent" };
  const parsed = parseZerotierLocalConf(text);
  return parsed.ok
    ? { state: "valid", text, value: parsed.value }
    : { state: "invalid", text, error: parsed.detail ? `${parsed.error}: ${parsed.detail}` : parsed.error };
}

export async function corosyncRings(ctx: ProbeContext, node: string): Promise<RingAddress[]> {
  const text = await ctx.readFile(node, "/etc/pve/corosync.conf");
  if (text === null) return [];
  try {
    return parseCorosyncConf(text).nodes.flatMap((n) =>
      Object.entries(n.rings).map(([link, addr]) => ({ node: n.name, link: Number(link), addr })),
    );
  } catch (error) {
    // A broken corosync.conf is another runbook's problem; here it only means no heartbeat warning.
    if (error instanceof ParseError) return [];
    throw error;
  }
}

/** ZeroTier devices: those zerotier-cli names, and every `zt*` interface (Linux names them so). */
export function zerotierDevices(facts: Pick<ZerotierFacts, "networks" | "network">): Set<string> {
  const devs = new Set(facts.networks.map((n) => n.dev).filter((d) => d !== ""));
  for (const i of facts.network.interfaces) if (i.name.startsWith("zt")) devs.add(i.name);
  return devs;
}

export const ZerotierCidr = z.object({ cidr: z.string(), dev: z.string(), nwid: z.string().nullable() });
export type ZerotierCidr = z.infer<typeof ZerotierCidr>;

/** The networks ZeroTier assigned, from zerotier-cli and from the addresses on ZeroTier devices. */
export function zerotierCidrs(facts: Pick<ZerotierFacts, "networks" | "network">): ZerotierCidr[] {
  const out = new Map<string, ZerotierCidr>();
  for (const n of facts.networks)
    for (const ip of n.ips) {
      const cidr = networkCidr(ip);
      if (cidr) out.set(cidr, { cidr, dev: n.dev, nwid: n.nwid });
    }
  const devs = zerotierDevices(facts);
  for (const i of facts.network.interfaces.filter((x) => devs.has(x.name)))
    for (const a of i.addrs) {
      const cidr = networkCidr(a);
      if (cidr && !out.has(cidr)) out.set(cidr, { cidr, dev: i.name, nwid: null });
    }
  return [...out.values()];
}

/** ZeroTier devices that are ports of a bridge: the loop. */
export function bridgedZerotier(facts: ZerotierFacts): Array<{ dev: string; bridge: string }> {
  const devs = zerotierDevices(facts);
  return facts.network.interfaces
    .filter((i) => devs.has(i.name) && i.master !== null)
    .map((i) => ({ dev: i.name, bridge: i.master! }));
}

/** corosync links whose address lies in a ZeroTier network: the heartbeat then depends on ZeroTier. */
export function heartbeatOverZerotier(facts: ZerotierFacts): Array<RingAddress & ZerotierCidr> {
  const cidrs = zerotierCidrs(facts);
  return facts.rings.flatMap((ring) => {
    if (!parseIp(ring.addr)) return [];
    const hit = cidrs.find((c) => cidrContains(c.cidr, ring.addr));
    return hit ? [{ ...ring, ...hit }] : [];
  });
}

/** `rss 120.0 → 128.0 MiB in 2 s, 387% CPU`, for reasons and findings. */
export function describeGrowth(memory: MemorySamples): string {
  const { first, second } = memory;
  if (!first || !second) return "zerotier-one is not running";
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  const verb = memory.growing ? "grew" : "went";
  return `zerotier-one's memory ${verb} from ${mib(first.rssKiB)} to ${mib(second.rssKiB)} in ${SAMPLE_INTERVAL_MS / 1000} s (${second.cpuPercent}% CPU)`;
}

/** Every corosync link of the node lies in a ZeroTier network: restarting zerotier-one cuts its heartbeat. */
export function heartbeatOnlyOverZerotier(facts: ZerotierFacts): boolean {
  const own = facts.rings.filter((r) => r.node === facts.node);
  const over = heartbeatOverZerotier(facts).filter((r) => r.node === facts.node);
  return own.length > 0 && over.length === own.length;
}

/** The postcondition of a restart: the unit is active and its memory holds still over two samples. */
export async function zerotierStable(
  ctx: ProbeContext,
  node: string,
): Promise<{ ok: boolean; detail: string }> {
  const unit = await ctx.run(node, "systemctl is-active zerotier-one");
  const state = unitStates(["zerotier-one"], unit.stdout)["zerotier-one"];
  if (state !== "active") return { ok: false, detail: `zerotier-one is ${state}` };
  const memory = await sampleZerotierOne(ctx, node, zerotierSampling.intervalMs);
  if (!memory.second) return { ok: false, detail: "no zerotier-one process" };
  return { ok: !memory.growing, detail: describeGrowth(memory) };
}
