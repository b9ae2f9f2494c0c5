/**
 * The guards of ha-replication-mismatch, pure: is there a mismatch this fix can mend (align-ha,
 * add-replication), and is a recovery onto a replica node safe (the owner proven down, a replica on
 * a quorate node that answers)?
 */
import { type CodedRefusal, refusal } from "../../kit/refuse.js";
import type { ReplicationJob } from "../parsers/replication-cfg.js";
import { type GuestRef, guestLabel } from "../probes/guests.js";
import { isQuorateMember, whyNotDown } from "../probes/ha-config.js";
import type { HaSurvey } from "../probes/ha-replication.js";
import { type Placement, placementOf } from "./ha-placement.js";

/** The placement of `guest` when HA manages it; null otherwise. */
export function placement(facts: Pick<HaSurvey, "config" | "cluster">, guest: GuestRef): Placement | null {
  const resource = facts.config.resources.find((r) => r.vmid === guest.vmid);
  const nodes = facts.cluster.nodes.map((n) => n.name);
  return resource ? placementOf(resource, facts.config, guest.node, nodes) : null;
}

export const list = (items: readonly string[]) => items.join(", ") || "none";

/** The placement in words: where HA may start the guest, why, and where its replicas are. */
export function placementWords(p: Placement): string {
  const limit =
    p.restrictedBy.length > 0 ? `restricted by ${p.restrictedBy.join(" and ")}` : "no restriction";
  const gap = p.missing.length > 0 ? `; no replica on ${list(p.missing)}` : "";
  const self = p.selfTargeted.length > 0 ? `; job ${list(p.selfTargeted)} targets ${p.current} itself` : "";
  return `HA may start ${p.sid} on ${list(p.haNodes)} (${limit}); replicas on ${list(p.replicaNodes)} (jobs ${list(p.jobs)})${gap}${self}`;
}

export type MismatchGuard =
  | { kind: "refusal"; refusal: CodedRefusal<"no-valid-replica" | "not-quorate"> }
  | { kind: "nothing-to-do"; reason: string }
  | { kind: "mismatch"; p: Placement; stranded: string[] };

/** align-ha and add-replication: the mismatch to mend, or why there is none or it cannot be mended. */
export function mismatchGuard(
  fix: "align-ha" | "add-replication",
  facts: HaSurvey,
  guest: GuestRef,
): MismatchGuard {
  const p = placement(facts, guest);
  const label = guestLabel(guest);
  if (!p) return { kind: "nothing-to-do", reason: `${label} is not HA-managed: HA never moves it` };
  const stranded = p.selfTargeted.map(
    (id) => `job ${id} targets ${p.current}, the node ${label} runs on, so it never runs`,
  );
  if (p.jobs.length === 0 && p.selfTargeted.length === 0)
    return {
      kind: "nothing-to-do",
      reason: `${label} has no replication job: its disks do not depend on replicas`,
    };
  if (fix === "align-ha" && p.jobs.length === 0)
    return {
      kind: "refusal",
      refusal: refusal("no-valid-replica", { case: "only-self", label, stranded, ...p }),
    };
  if (p.missing.length === 0 && p.selfTargeted.length === 0)
    return {
      kind: "nothing-to-do",
      reason: `every node HA may pick holds a replica: ${placementWords(p)}`,
    };
  if (fix === "align-ha" && p.missing.length === 0)
    return {
      kind: "nothing-to-do",
      reason: `every node HA may pick holds a replica: ${placementWords(p)}; but ${stranded.join("; ")} (--fix add-replication re-targets it)`,
    };
  if (!facts.cluster.seenBy)
    return { kind: "refusal", refusal: refusal("not-quorate", { case: "read-only", writer: facts.writer }) };
  return { kind: "mismatch", p, stranded };
}

type RecoverRefusal = "not-quorate" | "node-not-down" | "no-valid-replica" | "node-unreachable";

/** recover: the replica node to start on and its job, once the owner is proven down. */
export function recoverGuard(
  facts: HaSurvey,
  guest: GuestRef,
  wanted: string | undefined,
): { refusal: CodedRefusal<RecoverRefusal> } | { to: string; job: ReplicationJob } {
  const { cluster } = facts;
  const label = guestLabel(guest);
  if (!cluster.seenBy)
    return { refusal: refusal("not-quorate", { case: "owner-unproven", owner: guest.node }) };
  const alive = whyNotDown(cluster, guest.node);
  if (alive.length > 0) return { refusal: refusal("node-not-down", { owner: guest.node, label, alive }) };
  const jobs = facts.config.jobs.filter((j) => j.guest === guest.vmid && j.removeJob === null);
  const online = (node: string) => isQuorateMember(cluster, node);
  const replicas = `replicas: ${list(jobs.map((j) => `${j.target} (job ${j.id})`))}`;
  const to = wanted ?? jobs.find((j) => online(j.target))?.target;
  const job = jobs.find((j) => j.target === to);
  if (!to || !job) return { refusal: refusal("no-valid-replica", { case: "recover", label, to, replicas }) };
  if (!cluster.nodes.some((n) => n.name === to && n.reachable))
    return {
      refusal: refusal("node-unreachable", {
        message: `${to} does not answer over SSH`,
        detail: replicas,
        node: to,
      }),
    };
  if (!online(to)) return { refusal: refusal("not-quorate", { case: "not-member", node: to }) };
  return { to, job };
}
