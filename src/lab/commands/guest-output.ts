/** `pct list` and `qm list` in their fixed-width printf layouts (§5.4): no lock column in qm, blank Lock in pct. */
import { mainKeys } from "../model/guest-conf.js";
import { diskSizeGb, localGuests, runtimeOf } from "../model/guests.js";
import type { LabNode, LabState } from "../state.js";

export function pctList(state: LabState, node: LabNode): string {
  const guests = localGuests(state, node.name, "lxc");
  if (guests.length === 0) return "";
  const row = (a: string, b: string, c: string, d: string) =>
    `${a.padEnd(10)} ${b.padEnd(10)} ${c.padEnd(12)} ${d.padEnd(20)}\n`;
  let out = row("VMID", "Status", "Lock", "Name");
  for (const g of guests) {
    const keys = mainKeys(g.text);
    out += row(
      String(g.vmid),
      runtimeOf(state, g.vmid).status,
      keys.lock ?? "",
      keys.hostname ?? `CT${g.vmid}`,
    );
  }
  return out;
}

export function qmList(state: LabState, node: LabNode): string {
  const guests = localGuests(state, node.name, "qemu");
  if (guests.length === 0) return "";
  const head = (a: string, b: string, c: string, d: string, e: string, f: string) =>
    `${a.padStart(10)} ${b.padEnd(20)} ${c.padEnd(10)} ${d.padEnd(10)} ${e.padStart(12)} ${f.padEnd(10)}\n`;
  let out = head("VMID", "NAME", "STATUS", "MEM(MB)", "BOOTDISK(GB)", "PID");
  for (const g of guests) {
    const keys = mainKeys(g.text);
    const runtime = runtimeOf(state, g.vmid);
    const disk = bootDisk(keys);
    out += head(
      String(g.vmid),
      keys.name ?? `VM ${g.vmid}`,
      runtime.status === "stopped" ? "stopped" : "running",
      keys.memory ?? "512",
      diskSizeGb(disk ?? "").toFixed(2),
      String(runtime.status === "stopped" ? 0 : (runtime.pid ?? 0)),
    );
  }
  return out;
}

function bootDisk(keys: Record<string, string>): string | undefined {
  const order = /order=([^,]+)/.exec(keys.boot ?? "")?.[1]?.split(";") ?? [];
  const candidates = [...order, keys.bootdisk ?? ""];
  for (const key of candidates) {
    const value = keys[key];
    if (value && /size=/.test(value)) return value;
  }
  return undefined;
}
