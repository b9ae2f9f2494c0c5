/**
 * What diagnose reports for one guest, pure: its HA placement against its replication, a job left
 * pointing at the guest's own node, and HA states a human must act on, each with the next command
 * (a pvefix plan, or the PVE command to run by hand where no runbook fits).
 */

import type { Severity } from "../../engine/model.js";
import { type FindingInput, finding } from "../../kit/finding.js";
import { sh } from "../../shell/quote.js";
import { type GuestRef, guestLabel } from "../probes/guests.js";
import type { HaSurvey } from "../probes/ha-replication.js";
import { list, placement, placementWords } from "./ha-replication.js";

/** HA's own states a human must act on (besides a configured `ignored`): it gave up, or waits on a fence. */
const STUCK = ["error", "fence"] as const;

type Fix = "align-ha" | "add-replication" | "recover";

export function guestFindings(facts: HaSurvey, guest: GuestRef): FindingInput[] {
  const p = placement(facts, guest);
  const jobs = facts.config.jobs.filter((j) => j.guest === guest.vmid && j.removeJob === null);
  const resource = facts.config.resources.find((r) => r.vmid === guest.vmid);
  const service = facts.services.find((sv) => sv.sid === resource?.sid);
  const down = !facts.cluster.nodes.some((n) => n.name === guest.node && n.reachable);
  const label = `${guestLabel(guest)} on ${guest.node}`;
  const found = (severity: Severity, summary: string, next: Fix | { manual: string }) =>
    typeof next === "string"
      ? finding({
          severity,
          summary,
          node: guest.node,
          verb: "plan",
          params: { vmid: guest.vmid, fix: next },
        })
      : finding({ severity, summary, node: guest.node, verb: "plan", params: { vmid: guest.vmid }, ...next });
  const replicas = jobs.filter((j) => j.target !== guest.node);
  if (down && replicas.length > 0) {
    const where = list(replicas.map((j) => j.target));
    return [found("critical", `${label}: ${guest.node} does not answer; replicas on ${where}`, "recover")];
  }
  const out: FindingInput[] = [];
  const managed = resource?.state === "started" || resource?.state === "enabled";
  for (const job of jobs.filter((j) => j.target === guest.node)) {
    const why = `replication job ${job.id} targets ${guest.node}, the node it runs on, so it never runs${replicas.length === 0 ? " and no other node holds a replica" : ""}`;
    if (p) {
      const back =
        job.source && job.source !== guest.node
          ? ` (back to ${job.source}, as a migration would; PVE's next replication run on ${guest.node} does the same)`
          : "";
      out.push(
        found(managed ? "critical" : "warning", `${label}: ${why}; re-target it${back}`, "add-replication"),
      );
    } else {
      // Not HA-managed, so no pvefix fix applies; PVE cannot change a job's target: delete and re-create.
      const to =
        job.source && job.source !== guest.node
          ? job.source
          : facts.cluster.nodes.find((n) => n.name !== guest.node)?.name;
      const next = Math.max(...jobs.map((j) => j.jobnum)) + 1;
      const manual = to
        ? sh`pvesr delete ${job.id} --force && pvesr create-local-job ${`${guest.vmid}-${next}`} ${to}`
        : sh`pvesr delete ${job.id} --force`;
      out.push(
        found("warning", `${label}: ${why}; re-create it to another node (the delete keeps every disk)`, {
          manual,
        }),
      );
    }
  }
  if (p && p.missing.length > 0) {
    const summary = `${label}: ${placementWords(p)}; a failover there cannot start it (or: --fix add-replication)`;
    out.push(found(managed ? "critical" : "warning", summary, "align-ha"));
  }
  const state = resource?.state === "ignored" ? "ignored" : STUCK.find((st) => st === service?.state);
  if (!resource || !state) return out;
  const sid = resource.sid;
  if (state === "ignored") {
    const first =
      out.length > 0 ? "; fix its replication first (above), then hand it back" : "; hand it back";
    const summary = `${label}: HA ignores ${sid} (state ignored): nothing restarts it or moves it when ${guest.node} fails${first}`;
    out.push(found("warning", summary, { manual: sh`ha-manager set ${sid} --state started` }));
  } else if (state === "error") {
    const summary = `${label}: HA gave up on ${sid} (state error): disable it, find the cause (journalctl -u pve-ha-lrm on ${service?.node ?? guest.node}), then \`ha-manager set ${sid} --state started\``;
    out.push(found("critical", summary, { manual: sh`ha-manager set ${sid} --state disabled` }));
  } else {
    const summary = `${label}: HA holds ${sid} in state fence until ${guest.node} is fenced (its lock expires about 2 min after it fails); if it stays there, ${guest.node} was never fenced: check it is powered off`;
    out.push(found("warning", summary, { manual: "ha-manager status" }));
  }
  return out;
}
