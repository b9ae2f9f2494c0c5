/** Where guests live (their config's node directory in pmxcfs) and whether they run. */
import type { GuestRuntime, LabState } from "../state.js";
import { guestConfigPaths } from "./pmxcfs.js";

export type GuestType = "lxc" | "qemu";

export function confRel(node: string, type: GuestType, vmid: number | string): string {
  return `nodes/${node}/${type === "lxc" ? "lxc" : "qemu-server"}/${vmid}.conf`;
}

/** Guests of one type whose config sits in `node`'s directory, sorted by VMID. */
export function localGuests(
  state: LabState,
  node: string,
  type: GuestType,
): Array<{ vmid: number; text: string }> {
  return guestConfigPaths(state)
    .filter((g) => g.node === node && g.type === type)
    .map((g) => ({ vmid: g.vmid, text: state.pve[g.rel] ?? "" }))
    .sort((a, b) => a.vmid - b.vmid);
}

export function runtimeOf(state: LabState, vmid: number): GuestRuntime {
  return state.guests[String(vmid)] ?? { status: "stopped", pid: null };
}

/** `size=32G` → GiB as a number (`qm list` BOOTDISK column). */
export function diskSizeGb(value: string): number {
  const match = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)/.exec(value);
  if (!match) return 0;
  const factor: Record<string, number> = {
    K: 1 / 1024 / 1024,
    M: 1 / 1024,
    G: 1,
    T: 1024,
    "": 1 / 1024 ** 3,
  };
  return Number(match[1]) * (factor[match[2] ?? ""] ?? 1);
}

export function guestComm(type: GuestType): string {
  return type === "lxc" ? "lxc-start" : "kvm";
}

/** What `ps` shows for a running guest's main process. */
export function guestProcess(spec: { vmid: number; type: GuestType; keys: Record<string, string> }): {
  args: string;
  rss: number;
  cpuPermille: number;
} {
  const memory = Number(spec.keys.memory ?? "512");
  if (spec.type === "lxc") {
    return { args: `/usr/bin/lxc-start -F -n ${spec.vmid}`, rss: 4_352, cpuPermille: 0 };
  }
  const name = spec.keys.name ?? `VM${spec.vmid}`;
  return {
    args: `/usr/bin/kvm -id ${spec.vmid} -name ${name},debug-threads=on -no-shutdown`,
    rss: Math.round(memory * 1024 * 0.62),
    cpuPermille: 31,
  };
}
