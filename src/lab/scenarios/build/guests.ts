/** Guests written the way PVE writes them, plus their runtime state and main process. */
import { formatGuestConf } from "../../model/guest-conf.js";
import { confRel, type GuestType, guestComm, guestProcess } from "../../model/guests.js";
import { guestVolumes } from "../../model/volumes.js";
import type { LabState } from "../../state.js";
import { nodeOf } from "./cluster.js";
import { startedAgo } from "./processes.js";

export interface GuestSpec {
  vmid: number;
  node: string;
  type: GuestType;
  status: "running" | "stopped";
  description?: string;
  keys: Record<string, string>;
  sections?: Record<string, Record<string, string>>;
}

export function addGuest(state: LabState, spec: GuestSpec): void {
  state.pve[confRel(spec.node, spec.type, spec.vmid)] = formatGuestConf({
    keys: spec.keys,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.sections === undefined ? {} : { sections: spec.sections }),
  });
  const owner = nodeOf(state, spec.node);
  for (const volid of guestVolumes(spec.keys, spec.type)) {
    if (!owner.volumes.includes(volid)) owner.volumes.push(volid);
  }
  let pid: number | null = null;
  if (spec.status === "running") {
    const node = nodeOf(state, spec.node);
    pid = startedAgo(state, node, guestComm(spec.type), 5 * 86_400 + spec.vmid, guestProcess(spec)).pid;
  }
  state.guests[String(spec.vmid)] = { status: spec.status, pid };
}

/** A Proxmox-style MAC (BC:24:11 prefix) derived from the VMID so configs stay deterministic. */
export function mac(vmid: number): string {
  const hex = vmid.toString(16).toUpperCase().padStart(4, "0");
  return `BC:24:11:5A:${hex.slice(0, 2)}:${hex.slice(2)}`;
}

export function container(
  vmid: number,
  node: string,
  hostname: string,
  status: "running" | "stopped",
  extra: Record<string, string> = {},
): GuestSpec {
  return {
    vmid,
    node,
    type: "lxc",
    status,
    keys: {
      arch: "amd64",
      cores: "2",
      hostname,
      memory: "2048",
      net0: `name=eth0,bridge=vmbr0,firewall=1,hwaddr=${mac(vmid)},ip=dhcp,type=veth`,
      ostype: "debian",
      rootfs: `local-lvm:vm-${vmid}-disk-0,size=8G`,
      swap: "512",
      unprivileged: "1",
      ...extra,
    },
  };
}

export function vm(
  vmid: number,
  node: string,
  name: string,
  status: "running" | "stopped",
  extra: Record<string, string> = {},
): GuestSpec {
  return {
    vmid,
    node,
    type: "qemu",
    status,
    keys: {
      boot: "order=scsi0;ide2;net0",
      cores: "2",
      cpu: "x86-64-v2-AES",
      ide2: "none,media=cdrom",
      memory: "4096",
      meta: "creation-qemu=9.2.0,ctime=1760012345",
      name,
      net0: `virtio=${mac(vmid)},bridge=vmbr0,firewall=1`,
      numa: "0",
      ostype: "l26",
      scsi0: `local-lvm:vm-${vmid}-disk-0,iothread=1,size=32G`,
      scsihw: "virtio-scsi-single",
      smbios1: `uuid=5f0c${vmid.toString(16).padStart(4, "0")}-1c2d-4e5f-8a9b-0c1d2e3f4a5b`,
      sockets: "1",
      vmgenid: `7d3e${vmid.toString(16).padStart(4, "0")}-2b4c-4d6e-9f01-23456789abcd`,
      ...extra,
    },
  };
}
