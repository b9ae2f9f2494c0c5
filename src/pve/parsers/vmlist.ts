/** `/etc/pve/.vmlist` (proxmox-facts §4.4): which node owns each guest, cluster-wide. */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { parsePmxcfsJson } from "./pmxcfs-json.js";

export const VmlistGuest = z.object({
  vmid: z.number().int().positive(),
  node: z.string(),
  type: z.enum(["qemu", "lxc", "openvz"]),
  version: z.number().int(),
});
export type VmlistGuest = z.infer<typeof VmlistGuest>;

export const Vmlist = z.object({
  version: z.number().int(),
  /** Sorted by vmid. */
  guests: z.array(VmlistGuest),
});
export type Vmlist = z.infer<typeof Vmlist>;

const RawVmlist = z.object({
  version: z.number().int(),
  ids: z
    .record(
      z.string(),
      z.object({ node: z.string(), type: z.enum(["qemu", "lxc", "openvz"]), version: z.number().int() }),
    )
    .optional(),
});

export function parseVmlist(text: string): Vmlist {
  const raw = parsePmxcfsJson("vmlist", RawVmlist, text);
  const guests = Object.entries(raw.ids ?? {}).map(([vmid, guest]) => {
    if (!/^[1-9]\d*$/.test(vmid))
      throw new ParseError("vmlist", `expected a numeric VMID key, got '${vmid}'`);
    return { vmid: Number(vmid), ...guest };
  });
  return { version: raw.version, guests: guests.sort((a, b) => a.vmid - b.vmid) };
}

export const vmlistFormat: ParserFormat<Vmlist> = {
  name: "vmlist",
  description: "/etc/pve/.vmlist: every guest of the cluster with its owning node and type",
  schema: Vmlist,
  parse: parseVmlist,
};
