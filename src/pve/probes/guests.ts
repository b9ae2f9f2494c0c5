/** Where a guest lives and what its config says, from the cluster files (not from the local node). */
import { z } from "zod";
import { ProbeError } from "../../engine/probe-context.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { notInReport } from "../../transport/errors.js";
import { describeFailure } from "../../transport/types.js";
import { type GuestConfig, parseGuestConfig } from "../parsers/guest-config.js";
import { parsePctList } from "../parsers/pct-list.js";
import { parseQmList } from "../parsers/qm-list.js";
import { parseVmlist } from "../parsers/vmlist.js";
import { PVE_TOOL } from "./pve-tools.js";

export const GuestKind = z.enum(["lxc", "qemu"]);
export type GuestKind = z.infer<typeof GuestKind>;

export const GuestRef = z.object({ vmid: z.number().int(), node: z.string(), kind: GuestKind });
export type GuestRef = z.infer<typeof GuestRef>;

/** `CT 100` / `VM 200`, as Proxmox names them in its own messages. */
export function guestLabel(guest: Pick<GuestRef, "vmid" | "kind">): string {
  return `${guest.kind === "lxc" ? "CT" : "VM"} ${guest.vmid}`;
}

/** The CLI tool that owns the guest: `pct` for containers, `qm` for VMs. */
export function guestTool(kind: GuestKind): "pct" | "qm" {
  return kind === "lxc" ? "pct" : "qm";
}

export function guestConfigPath(guest: GuestRef): string {
  return `/etc/pve/nodes/${guest.node}/${guest.kind === "lxc" ? "lxc" : "qemu-server"}/${guest.vmid}.conf`;
}

/** Every guest of the cluster, from `/etc/pve/.vmlist` (read on any node). */
export async function listGuests(ctx: ProbeContext): Promise<GuestRef[]> {
  const node = await ctx.anyNode();
  const text = await ctx.readFile(node, "/etc/pve/.vmlist");
  if (text === null) return [];
  return parseVmlist(text)
    .guests.filter((g) => g.type === "lxc" || g.type === "qemu")
    .map((g) => ({ vmid: g.vmid, node: g.node, kind: g.type as GuestKind }));
}

/**
 * The guests as far as the nodes that answer tell. On a cluster that is /etc/pve/.vmlist, every
 * guest (`unknown` null). A pvereport holds no .vmlist but its node's `pct list` and `qm list`,
 * which list exactly that node's own guests: offline those are the guests, and `unknown` is the
 * "not in report" failure that says the other nodes' guests are not known.
 */
export async function knownGuests(ctx: ProbeContext): Promise<{ guests: GuestRef[]; unknown: Error | null }> {
  try {
    return { guests: await listGuests(ctx), unknown: null };
  } catch (error) {
    if (!notInReport(error)) throw error;
    const { up } = await ctx.reachable();
    const own = await Promise.all(
      up.map((node) =>
        ownGuests(ctx, node).catch((e: unknown) => {
          if (notInReport(e)) return null;
          throw e;
        }),
      ),
    );
    if (own.every((g) => g === null)) throw error;
    return { guests: own.flatMap((g) => g ?? []), unknown: error as Error };
  }
}

/** A node's own guests, from its `pct list` and `qm list` (both list only the local node's). */
async function ownGuests(ctx: ProbeContext, node: string): Promise<GuestRef[]> {
  const [cts, vms] = await Promise.all([
    ctx.run(node, "pct list", PVE_TOOL),
    ctx.run(node, "qm list", PVE_TOOL),
  ]);
  for (const r of [cts, vms])
    if (r.failed)
      throw new ProbeError(
        `\`${r.command}\` failed on ${node}: ${r.stderr.trim() || describeFailure(r)}`,
        node,
        r,
      );
  return [
    ...parsePctList(cts.stdout).map((r) => ({ vmid: r.vmid, node, kind: "lxc" as const })),
    ...parseQmList(vms.stdout).map((r) => ({ vmid: r.vmid, node, kind: "qemu" as const })),
  ];
}

export async function locateGuest(ctx: ProbeContext, vmid: number): Promise<GuestRef | null> {
  const { guests, unknown } = await knownGuests(ctx);
  const guest = guests.find((g) => g.vmid === vmid) ?? null;
  // Not among the reported nodes' guests: whether another node has it is not in the report.
  if (!guest && unknown) throw unknown;
  return guest;
}

/**
 * The guest's config as its owning node sees it; null if the file is gone. Only for callers that
 * need the owner anyway (its tasks, its quorum): to merely read configs, any node that answers
 * will do (/etc/pve is the cluster filesystem), as the detectors do.
 */
export async function readGuestConfig(ctx: ProbeContext, guest: GuestRef): Promise<GuestConfig | null> {
  const text = await ctx.readFile(guest.node, guestConfigPath(guest));
  return text === null ? null : parseGuestConfig(text);
}

/**
 * What a node that does not answer hides: its guests (from /etc/pve/.vmlist, read on a node that
 * answers). Guests nobody can see are critical; a node without guests hides less.
 */
export async function hiddenOnNode(
  ctx: ProbeContext,
  node: string,
): Promise<{ severity: "critical" | "warning"; hides: string | null }> {
  const guests = (await listGuests(ctx)).filter((g) => g.node === node);
  if (guests.length === 0) return { severity: "warning", hides: null };
  const shown = guests.slice(0, 8).map(guestLabel).join(", ");
  const more = guests.length > 8 ? ` and ${guests.length - 8} more` : "";
  return { severity: "critical", hides: `its guests ${shown}${more}` };
}
