/**
 * Pure guards of zfs-replication-divergence: is the job failing because source and target
 * diverged, and is every target copy it would set aside provably a mere replica (not used by a
 * guest, not written by anything but `zfs recv`, not newer than the source, room for a full copy)?
 */
import type { Step, UndoGuard } from "../../engine/model.js";
import { type CodedRefusal, refusal } from "../../kit/index.js";
import type { ReplicatedVolume, ZfsReplicationFacts } from "../probes/zfs-replication.js";
import { placementOf } from "./ha-placement.js";

/** Errors a full sync cures (pve-guest-common Replication.pm, pve-storage ZFSPoolPlugin volume_import). */
const DIVERGED = [
  /^No common base snapshot on volume\(s\) (\S+)/,
  /^volume '([^']+)' already exists/,
  /^base snapshot '([^'@]+)@[^']*' doesn't exist/,
];

/** HA states in which HA itself may start the guest somewhere (ha-manager status). */
const MOVING = new Set(["migrate", "relocate", "recovery", "fence", "error"]);

const iso = (epoch: number) => new Date(epoch * 1000).toISOString().replace(".000Z", "Z");

/** The volids or datasets the error names, or null when it is no divergence. */
export function divergedNames(state: string): string[] | null {
  for (const pattern of DIVERGED) {
    const m = pattern.exec(state);
    if (m) return (m[1] ?? "").split(",");
  }
  return null;
}

type Code =
  | "guest-on-target"
  | "not-divergence"
  | "ha-moving"
  | "replica-in-use"
  | "replica-written"
  | "replica-newer"
  | "replica-no-space";

export type ReplicaCheck =
  | { kind: "healthy"; reason: string }
  | { kind: "refused"; refusal: CodedRefusal<Code> }
  | {
      kind: "diverged";
      volumes: Array<ReplicatedVolume & { dataset: string; target: NonNullable<ReplicatedVolume["target"]> }>;
      need: number;
      /** Bytes available on the target pool now. */
      avail: number;
      haWarning: string | null;
    };

/** Newest snapshot of the target no source snapshot matches (name and guid), newer than `reference`. */
function newerOnTarget(v: ReplicatedVolume): { name: string; creation: number; reference: number } | null {
  if (!v.target) return null;
  const src = v.source?.snapshots ?? [];
  const common = v.target.snapshots.filter((t) => src.some((s) => s.name === t.name && s.guid === t.guid));
  // The newest point both sides agree on, else the newest state the source has of its own.
  const reference = Math.max(
    ...common.map((s) => s.creation),
    ...src.map((s) => s.creation),
    v.source?.creation ?? 0,
  );
  const newer = v.target.snapshots
    .filter((t) => !common.includes(t) && t.creation > reference)
    .sort((a, b) => b.creation - a.creation)[0];
  return newer ? { name: newer.name, creation: newer.creation, reference } : null;
}

export function checkReplica(f: ZfsReplicationFacts): ReplicaCheck {
  const job = f.job!;
  const guest = f.guest!;
  const refused = (r: CodedRefusal<Code>): ReplicaCheck => ({ kind: "refused", refusal: r });
  if (guest.node === job.target)
    return refused(refusal("guest-on-target", { job: job.id, label: f.label, target: job.target }));
  const state = f.status?.state ?? "";
  if (
    !f.status ||
    f.status.stateKind === "syncing" ||
    (f.status.stateKind === "ok" && f.status.failCount === 0)
  )
    return {
      kind: "healthy",
      reason: `job ${job.id} (${f.label} → ${job.target}) replicates: ${f.status ? state : "pvesr status does not list it"}`,
    };
  const named = divergedNames(state) ?? (f.logError ? divergedNames(f.logError) : null);
  if (!named)
    return refused(
      refusal("not-divergence", { job: job.id, source: guest.node, state: state.split("\n")[0] ?? "" }),
    );
  const affected = f.volumes.filter(
    (v) => v.target && v.dataset && (named.includes(v.volid) || named.includes(v.dataset)),
  ) as Array<ReplicatedVolume & { dataset: string; target: NonNullable<ReplicatedVolume["target"]> }>;
  if (affected.length === 0)
    return {
      kind: "healthy",
      reason: `no copy on ${job.target} is left of ${named.join(", ")}: the next run sends it whole`,
    };
  const service = f.ha?.service ?? null;
  if (
    f.ha &&
    service &&
    (MOVING.has(service.state) || (service.node !== null && service.node !== guest.node))
  )
    return refused(
      refusal("ha-moving", { sid: f.ha.sid, state: service.state, node: service.node, target: job.target }),
    );
  for (const v of affected) {
    const users = f.users.filter((u) => u.volid === v.volid).map((u) => u.label);
    if (users.length > 0)
      return refused(refusal("replica-in-use", { job: job.id, target: job.target, volid: v.volid, users }));
    if (v.target.written > 0)
      return refused(
        refusal("replica-written", {
          job: job.id,
          target: job.target,
          dataset: v.dataset,
          written: v.target.written,
        }),
      );
    const newer = newerOnTarget(v);
    if (newer)
      return refused(
        refusal("replica-newer", {
          job: job.id,
          target: job.target,
          snapshot: `${v.dataset}@${newer.name}`,
          created: iso(newer.creation),
          reference: `the newest state ${guest.node} has of ${v.volid} (${iso(newer.reference)})`,
        }),
      );
  }
  const need = affected.reduce((sum, v) => sum + (v.source?.used ?? 0), 0);
  const avail = f.targetPool ? Math.min(f.targetPool.free, ...affected.map((v) => v.target.avail)) : 0;
  if (need > avail)
    return refused(
      refusal("replica-no-space", {
        target: job.target,
        pool: affected[0]!.dataset.split("/")[0] ?? "",
        need,
        avail,
      }),
    );
  let haWarning: string | null = null;
  if (f.ha) {
    const resource = f.ha.config.resources.find((r) => r.sid === f.ha!.sid);
    const nodes = f.cluster.nodes.map((n) => n.name);
    const p = resource ? placementOf(resource, f.ha.config, guest.node, nodes) : null;
    if (p?.haNodes.includes(job.target))
      haWarning = `HA may recover ${f.ha.sid} on ${job.target} if ${guest.node} fails before the full sync ends: it would find no disk there (the old copy is set aside, not gone).`;
  }
  return { kind: "diverged", volumes: affected, need, avail, haWarning };
}

export interface PurgeTarget {
  run: string;
  node: string;
  dataset: string;
  why: string;
}

/**
 * `--purge-renamed <run>`: only a copy a completed, not undone run of this runbook set aside,
 * only once the job has synced since, and only with its exact name typed as `--confirm`.
 */
export function checkPurge(
  run: string,
  confirm: string | null,
  f: ZfsReplicationFacts,
): PurgeTarget | { refusal: CodedRefusal<"purge-not-safe" | "purge-not-confirmed"> } {
  const p = f.purge;
  const no = (why: string) => ({
    refusal: refusal("purge-not-safe", { run, why, ...(f.job ? { node: f.job.target } : {}) }),
  });
  if (!p || p.outcome === null) return no("no such run in this pvefix state directory");
  if (p.runbook !== "zfs-replication-divergence") return no(`it is a run of ${p.runbook}`);
  if (p.undone) {
    // The old copy is back in place; what is left is the replica the resync made, set aside by the undo.
    const made = p.setAside.find((s) => s.resyncExists);
    if (!made) return no("it was undone: its copy is back in place and no resynced copy is left");
    if (confirm !== made.resync)
      return { refusal: refusal("purge-not-confirmed", { dataset: made.resync, typed: confirm }) };
    const why = `run ${run} was undone: this is the replica its resync made, set aside by the undo`;
    return { run, node: made.node, dataset: made.resync, why };
  }
  if (p.outcome !== "done") return no(`it ended ${p.outcome}, so no resync was proven`);
  const left = p.setAside.find((s) => s.exists);
  if (!left) return no("what it set aside is gone already");
  if (f.status?.stateKind !== "ok" || f.status.failCount !== 0)
    return no(
      `job ${f.job?.id} fails again (${f.status?.state.split("\n")[0] ?? "not listed"}): the old copy may be needed`,
    );
  if (confirm !== left.to)
    return { refusal: refusal("purge-not-confirmed", { dataset: left.to, typed: confirm }) };
  return {
    run,
    node: left.node,
    dataset: left.to,
    why: `run ${run} set it aside and the job has synced since`,
  };
}

/** Undo of a set-aside: never under a guest that now lives on the target, never without the old copy. */
export function setAsideUndoGuard(f: ZfsReplicationFacts, step: Step): UndoGuard {
  const to = step.verify.find((c) => c.name === "zfs-set-aside")?.args.to;
  if (typeof to !== "string") return { ok: true };
  if (f.job && f.guest?.node === f.job.target)
    return {
      ok: false,
      refusal: refusal("guest-on-target", { job: f.job.id, label: f.label, target: f.job.target }),
    };
  if (!f.asideOnTarget.includes(to))
    return { ok: false, refusal: refusal("set-aside-gone", { dataset: to, node: step.node }) };
  return { ok: true, evidence: `${to} is still on ${step.node}` };
}
