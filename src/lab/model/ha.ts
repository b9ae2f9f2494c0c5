/**
 * The HA stack as `ha-manager status` reports it, derived from /etc/pve/ha/resources.cfg, where
 * guests live and which HA units run: an LRM is `active` while it runs started services, `idle`
 * otherwise (a stopped LRM froze its services first); a node outside the quorate partition has an
 * `old timestamp - dead?` LRM and its started services wait in `fence`. The CRM master is the
 * first node of the partition whose pve-ha-crm runs. A non-quorate observer sees a frozen view.
 */
import type { LabNode, LabState } from "../state.js";
import { guestConfigPaths } from "./pmxcfs.js";
import { nodeQuorate, partitionOf } from "./quorum.js";
import { type LabSection, readSections, writeSections } from "./section-config.js";

export const HA_RESOURCES = "ha/resources.cfg";
const STALE = "old timestamp - dead?";

export interface HaResource {
  sid: string;
  type: "vm" | "ct";
  vmid: number;
  /** `started` | `stopped` | `disabled` | `ignored` (`enabled` is read as `started`). */
  requested: string;
}

export interface HaView {
  quorate: boolean;
  observer: string;
  master: { node: string; state: string; ago: number } | null;
  lrms: Array<{ node: string; state: string; ago: number }>;
  services: Array<{ sid: string; node: string; state: string }>;
}

export function haConfigured(state: LabState): boolean {
  return state.pve[HA_RESOURCES] !== undefined;
}

export function haResources(state: LabState): HaResource[] {
  return readSections(state.pve[HA_RESOURCES]).flatMap((s) => {
    if ((s.type !== "vm" && s.type !== "ct") || !/^\d+$/.test(s.id)) return [];
    const requested = s.props.state ?? "started";
    return [
      {
        sid: `${s.type}:${s.id}`,
        type: s.type,
        vmid: Number(s.id),
        requested: requested === "enabled" ? "started" : requested,
      },
    ];
  });
}

/** The node whose directory holds the guest's config, if the guest exists with the SID's type. */
export function guestNodeOf(state: LabState, resource: Pick<HaResource, "type" | "vmid">): string | null {
  const wanted = resource.type === "vm" ? "qemu" : "lxc";
  return guestConfigPaths(state).find((g) => g.vmid === resource.vmid && g.type === wanted)?.node ?? null;
}

function serviceState(resource: HaResource, node: LabNode | undefined, online: boolean): string {
  if (resource.requested === "ignored") return "ignored";
  if (!node) return "not found";
  if (!online) return resource.requested === "started" ? "fence" : resource.requested;
  if (node.services["pve-ha-lrm"] !== "active") return "freeze";
  return resource.requested;
}

export function haView(state: LabState, observer: LabNode): HaView {
  const quorate = nodeQuorate(state, observer);
  const partition = quorate ? (partitionOf(state, observer) ?? []) : [];
  const online = (name: string) => partition.some((n) => n.name === name);
  const services = haResources(state)
    .map((r) => {
      const where = guestNodeOf(state, r);
      const node = state.nodes.find((n) => n.name === where);
      return {
        sid: r.sid,
        node: where ?? "---",
        state: serviceState(r, node, !quorate || online(where ?? "")),
      };
    })
    .sort((a, b) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0));
  const names = [...state.nodes].map((n) => n.name).sort();
  const lrms = names.map((name, i) => {
    const node = state.nodes.find((n) => n.name === name);
    if (!quorate || !online(name) || !node) return { node: name, state: STALE, ago: 97 + 11 * i };
    const running = services.some((s) => s.node === name && s.state === "started");
    const active = node.services["pve-ha-lrm"] === "active" && running;
    return { node: name, state: active ? "active" : "idle", ago: 2 + i };
  });
  const crm = partition
    .filter((n) => n.services["pve-ha-crm"] === "active")
    .map((n) => n.name)
    .sort()[0];
  const anyManaged = services.some((s) => s.state !== "ignored");
  const master =
    crm !== undefined
      ? { node: crm, state: anyManaged ? "active" : "idle", ago: 1 }
      : names[0] === undefined
        ? null
        : { node: names[0], state: STALE, ago: 104 };
  return { quorate, observer: observer.name, master, lrms, services };
}

/** Rewrite resources.cfg with one resource's `state` changed (PVE's writer: keys sorted). */
export function setResourceState(state: LabState, sid: string, value: string): boolean {
  const sections: LabSection[] = readSections(state.pve[HA_RESOURCES]);
  const section = sections.find((s) => `${s.type}:${s.id}` === sid);
  if (!section) return false;
  section.props.state = value;
  state.pve[HA_RESOURCES] = writeSections(sections);
  return true;
}
