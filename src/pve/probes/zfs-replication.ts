/**
 * What zfs-replication-divergence decides on, for one replication job: the job and its guest, the
 * job's health on the guest's node (`pvesr status`, the job log), every ZFS volume it sends with
 * its snapshots on both sides, the target pool, the guest configs on the target, and HA's view.
 * For `--purge-renamed <run>`: what that run set aside, from its journal.
 */
import { z } from "zod";
import { readJournal, summarizeRun } from "../../engine/journal.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import { guestVolumes, parseGuestConfig } from "../parsers/guest-config.js";
import { PvesrStatusRow, parsePvesrStatus } from "../parsers/pvesr-status.js";
import { parseReplicationLog } from "../parsers/replication-log.js";
import { parseZfsList, parseZpoolList, ZPOOL_FIELDS, ZpoolEntry } from "../parsers/zfs-list.js";
import { GuestRef, guestConfigPath, guestLabel } from "./guests.js";
import { ClusterView, HaConfig, HaService } from "./ha-config.js";
import { haSurvey } from "./ha-replication.js";
import { PVE_TOOL } from "./pve-tools.js";
import { readStorageCfg } from "./storage.js";

export const ZfsSnapshot = z.object({ name: z.string(), guid: z.string(), creation: z.number() });
export const ZfsVolume = z.object({
  name: z.string(),
  guid: z.string(),
  creation: z.number(),
  used: z.number(),
  avail: z.number(),
  written: z.number(),
  snapshots: z.array(ZfsSnapshot),
});
export type ZfsVolume = z.infer<typeof ZfsVolume>;

export const ReplicatedVolume = z.object({
  volid: z.string(),
  /** `rpool/data/vm-100-disk-0`; null when the volume is not on a zfspool storage. */
  dataset: z.string().nullable(),
  source: ZfsVolume.nullable(),
  target: ZfsVolume.nullable(),
});
export type ReplicatedVolume = z.infer<typeof ReplicatedVolume>;

/** A dataset an earlier run renamed (`zfs rename <from> <to>` on `node`), read from its journal. */
export const SetAside = z.object({
  node: z.string(),
  from: z.string(),
  to: z.string(),
  exists: z.boolean(),
  /** Where the run's undo put the replica the resync made (`pvefix-<guid>-resync-<vol>`). */
  resync: z.string(),
  resyncExists: z.boolean(),
});

export const ZfsReplicationFacts = z.object({
  jobId: z.string(),
  knownJobs: z.array(z.string()),
  job: z
    .object({
      id: z.string(),
      guest: z.number(),
      target: z.string(),
      disabled: z.boolean(),
      /** MB/s (`rate` in replication.cfg); null = unlimited. */
      rate: z.number().nullable(),
    })
    .nullable(),
  cluster: ClusterView,
  guest: GuestRef.nullable(),
  label: z.string(),
  /** The job's row of `pvesr status` on the guest's node; volatile. */
  status: PvesrStatusRow.nullable(),
  /** The end of the job log on the guest's node; volatile. */
  logError: z.string().nullable(),
  volumes: z.array(ReplicatedVolume),
  targetPool: ZpoolEntry.nullable(),
  /** Datasets named `pvefix-…` beside the volumes on the target: what earlier runs set aside. */
  asideOnTarget: z.array(z.string()),
  /** Guests other than the job's whose config on the target node names one of its volumes. */
  users: z.array(z.object({ label: z.string(), volid: z.string() })),
  ha: z.object({ sid: z.string(), service: HaService.nullable(), config: HaConfig }).nullable(),
  purge: z
    .object({
      run: z.string(),
      outcome: z.string().nullable(),
      runbook: z.string().nullable(),
      undone: z.boolean(),
      setAside: z.array(SetAside),
    })
    .nullable(),
});
export type ZfsReplicationFacts = z.infer<typeof ZfsReplicationFacts>;

const VOLUME_FIELDS = ["name", "guid", "creation", "used", "avail", "written"];
const SNAPSHOT_FIELDS = ["name", "guid", "creation"];

/** `zfs list` of one volume and its snapshots on `node`; null when it does not exist there. */
export async function zfsVolumeOn(
  ctx: ProbeContext,
  node: string,
  dataset: string,
): Promise<ZfsVolume | null> {
  const [vol, snaps] = await Promise.all([
    ctx.run(node, sh`zfs list -H -p -o ${VOLUME_FIELDS.join(",")} ${dataset}`, { fresh: true }),
    // The same listing as PVE's volume_snapshot_info (`-Hp -r -t snapshot -o name,guid,creation`).
    ctx.run(node, sh`zfs list -H -p -r -t snapshot -o ${SNAPSHOT_FIELDS.join(",")} ${dataset}`, {
      fresh: true,
    }),
  ]);
  if (vol.exitCode !== 0) return null;
  const [v] = parseZfsList(vol.stdout, VOLUME_FIELDS);
  if (!v) return null;
  const num = (f: string) => v.numbers[f] ?? 0;
  return {
    name: v.name,
    guid: v.guid ?? "",
    creation: num("creation"),
    used: num("used"),
    avail: num("avail"),
    written: num("written"),
    snapshots: parseZfsList(snaps.exitCode === 0 ? snaps.stdout : "", SNAPSHOT_FIELDS).map((s) => ({
      name: s.snapshot ?? "",
      guid: s.guid ?? "",
      creation: s.numbers.creation ?? 0,
    })),
  };
}

export async function zfsReplicationFacts(
  ctx: ProbeContext,
  jobId: string,
  purgeRun: string | null,
): Promise<ZfsReplicationFacts> {
  const survey = await haSurvey(ctx);
  const { cluster, config, guests, services, writer } = survey;
  const found = config.jobs.find((j) => j.id === jobId && j.removeJob === null);
  const job = found
    ? { id: found.id, guest: found.guest, target: found.target, disabled: found.disabled, rate: found.rate }
    : null;
  const guest = guests.find((g) => g.vmid === job?.guest) ?? null;
  const up = (n: string) => cluster.nodes.some((c) => c.name === n && c.reachable);
  const base = {
    jobId,
    knownJobs: config.jobs.map((j) => j.id),
    job,
    cluster,
    guest,
    label: guest ? guestLabel(guest) : `guest ${job?.guest ?? "?"}`,
    status: null,
    logError: null,
    volumes: [],
    targetPool: null,
    users: [],
    asideOnTarget: [],
    ha: null,
    purge: purgeRun === null ? null : await purgeFacts(ctx, purgeRun),
  };
  if (!job || !guest || !up(guest.node) || !up(job.target)) return base;
  const storages = await readStorageCfg(ctx);
  const pools = new Map(storages.filter((s) => s.type === "zfspool").map((s) => [s.id, s.props.pool ?? ""]));
  const own = await ctx.readFile(writer, guestConfigPath(guest));
  const volids =
    own === null ? [] : guestVolumes(parseGuestConfig(own).main).map((v) => `${v.storage}:${v.volume}`);
  const [statusOut, log, volumes, users] = await Promise.all([
    ctx.run(guest.node, "pvesr status", { ...PVE_TOOL, fresh: true }),
    ctx.readFile(guest.node, `/var/log/pve/replicate/${job.id}`),
    Promise.all(
      volids.map(async (volid) => {
        const [storage = "", volname = ""] = volid.split(/:(.*)/s);
        const pool = pools.get(storage);
        const dataset = pool ? `${pool}/${volname}` : null;
        const [source, target] = dataset
          ? await Promise.all([zfsVolumeOn(ctx, guest.node, dataset), zfsVolumeOn(ctx, job.target, dataset)])
          : [null, null];
        return { volid, dataset, source, target };
      }),
    ),
    usersOn(ctx, writer, guests, job.target, guest.vmid, volids),
  ]);
  const firstPool = volumes.find((v) => v.dataset)?.dataset?.split("/")[0];
  const parent = volumes.find((v) => v.dataset)?.dataset?.replace(/\/[^/]*$/, "");
  const [zpool, siblings] = await Promise.all([
    firstPool ? ctx.run(job.target, sh`zpool list -H -p -o ${ZPOOL_FIELDS.join(",")} ${firstPool}`) : null,
    parent ? ctx.run(job.target, sh`zfs list -H -o name -d 1 ${parent}`, { fresh: true }) : null,
  ]);
  const sid = `${guest.kind === "qemu" ? "vm" : "ct"}:${guest.vmid}`;
  const managed = config.resources.some((r) => r.sid === sid);
  return {
    ...base,
    status:
      parsePvesrStatus(statusOut.exitCode === 0 ? statusOut.stdout : "").find((r) => r.jobId === job.id) ??
      null,
    logError: log === null ? null : safe(() => parseReplicationLog(log).error),
    volumes,
    targetPool: zpool?.exitCode === 0 ? (parseZpoolList(zpool.stdout)[0] ?? null) : null,
    users,
    asideOnTarget: (siblings?.exitCode === 0 ? siblings.stdout.split("\n") : []).filter((n) =>
      /\/pvefix-[^/]+$/.test(n),
    ),
    ha: managed ? { sid, service: services.find((s) => s.sid === sid) ?? null, config } : null,
  };
}

function safe<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

async function usersOn(
  ctx: ProbeContext,
  reader: string,
  guests: readonly GuestRef[],
  target: string,
  vmid: number,
  volids: readonly string[],
): Promise<Array<{ label: string; volid: string }>> {
  const others = guests.filter((g) => g.node === target && g.vmid !== vmid);
  const found = await Promise.all(
    others.map(async (g) => {
      const text = await ctx.readFile(reader, guestConfigPath(g));
      const names =
        text === null ? [] : guestVolumes(parseGuestConfig(text).main).map((v) => `${v.storage}:${v.volume}`);
      return names.filter((n) => volids.includes(n)).map((volid) => ({ label: guestLabel(g), volid }));
    }),
  );
  return found.flat();
}

/** The renames of run `run` (from its journal's plan) and whether each renamed dataset still exists. */
async function purgeFacts(
  ctx: ProbeContext,
  run: string,
): Promise<NonNullable<ZfsReplicationFacts["purge"]>> {
  const none = { run, outcome: null, runbook: null, undone: false, setAside: [] };
  if (ctx.stateDir === null) return none;
  let entries: ReturnType<typeof readJournal>;
  try {
    entries = readJournal(ctx.stateDir, run);
  } catch {
    return none;
  }
  const summary = safe(() => summarizeRun(entries));
  const decision = entries.find((e) => e.type === "decision");
  const steps = decision?.type === "decision" ? (decision.plan?.steps ?? []) : [];
  const renames = steps.flatMap((s) =>
    s.verify
      .filter((c) => c.name === "zfs-set-aside")
      .map((c) => ({ node: s.node, from: String(c.args.from ?? ""), to: String(c.args.to ?? "") })),
  );
  const present = async (node: string, name: string) =>
    (await ctx.run(node, sh`zfs list -H -o name ${name}`, { fresh: true })).exitCode === 0;
  const setAside = await Promise.all(
    renames.map(async (r) => {
      const resync = r.to.replace(/\/pvefix-(\d+)-([^/]+)$/, "/pvefix-$1-resync-$2");
      return {
        ...r,
        exists: await present(r.node, r.to),
        resync,
        resyncExists: await present(r.node, resync),
      };
    }),
  );
  return {
    run,
    outcome: summary?.outcome ?? null,
    runbook: summary?.runbook ?? null,
    undone: summary?.undoneBy !== null && summary?.undoneBy !== undefined,
    setAside,
  };
}

/**
 * What a saved plan relies on: everything but the job's moment-to-moment health and the sizes,
 * which change with every write (the plan only uses sizes rounded up, and the space guard runs
 * again at apply time).
 */
export function stableZfsFacts({
  status,
  logError: _log,
  volumes,
  targetPool,
  ...rest
}: ZfsReplicationFacts) {
  const shape = (v: ZfsVolume | null) =>
    v && { name: v.name, guid: v.guid, creation: v.creation, written: v.written, snapshots: v.snapshots };
  return {
    ...rest,
    status: status && { jobId: status.jobId, lastSync: status.lastSync, stateKind: status.stateKind },
    volumes: volumes.map((v) => ({
      volid: v.volid,
      dataset: v.dataset,
      source: shape(v.source),
      target: shape(v.target),
    })),
    targetPool: targetPool && { name: targetPool.name, health: targetPool.health },
  };
}
