/**
 * `qm start|stop` / `pct start|stop` on the owner node. An HA-managed guest only gets a new
 * requested state (`Requesting HA start for VM 100`) which its LRM then carries out; otherwise the
 * start activates every disk first, so a disk this node does not hold fails it (exit 255).
 */
import { mainKey, mainKeys } from "../model/guest-conf.js";
import { type GuestType, guestComm, guestProcess, runtimeOf } from "../model/guests.js";
import { haResources, setResourceState } from "../model/ha.js";
import { pmxcfsQuorate } from "../model/pmxcfs.js";
import { spawn } from "../model/processes.js";
import { readStorageCfg } from "../model/storage.js";
import { guestVolumes, missingVolumeError } from "../model/volumes.js";
import { isLoaded, type Loaded, load, PVE_DIE } from "./guest-conf-io.js";
import { type CommandContext, type CommandOutput, fail, ok } from "./types.js";

const label = (type: GuestType) => (type === "lxc" ? "CT" : "VM");

/** Why this node cannot start the guest now, or null. */
function startError(ctx: CommandContext, type: GuestType, guest: Loaded): string | null {
  const storages = readStorageCfg(ctx.state.pve["storage.cfg"] ?? "");
  for (const volid of guestVolumes(mainKeys(guest.text), type)) {
    const error = missingVolumeError(ctx.node, storages, volid);
    if (error) return error;
  }
  return null;
}

function run(ctx: CommandContext, type: GuestType, guest: Loaded): void {
  const proc = spawn(ctx.state, ctx.node, guestComm(type), {
    ...guestProcess({ vmid: guest.vmid, type, keys: mainKeys(guest.text) }),
  });
  ctx.state.guests[String(guest.vmid)] = { status: "running", pid: proc.pid };
}

function halt(ctx: CommandContext, guest: Loaded): void {
  const runtime = runtimeOf(ctx.state, guest.vmid);
  if (runtime.pid !== null) ctx.node.procs = ctx.node.procs.filter((p) => p.pid !== runtime.pid);
  ctx.state.guests[String(guest.vmid)] = { status: "stopped", pid: null };
}

/** `ha-manager set <sid> --state <s>` on the guest's behalf; the LRM acts on it at once in the lab. */
function haRequest(ctx: CommandContext, type: GuestType, guest: Loaded, wanted: "started" | "stopped") {
  const sid = `${type === "lxc" ? "ct" : "vm"}:${guest.vmid}`;
  const resource = haResources(ctx.state).find((r) => r.sid === sid);
  if (!resource || resource.requested === "ignored") return null;
  const verb = wanted === "started" ? "start" : "stop";
  const said = `Requesting HA ${verb} for ${label(type)} ${guest.vmid}\n`;
  if (!pmxcfsQuorate(ctx.state, ctx.node))
    return fail("cfs-lock 'domain-ha' error: no quorum!", PVE_DIE, said);
  setResourceState(ctx.state, sid, wanted);
  if (ctx.node.services["pve-ha-lrm"] === "active") {
    const running = runtimeOf(ctx.state, guest.vmid).status === "running";
    if (wanted === "started" && !running && startError(ctx, type, guest) === null) run(ctx, type, guest);
    if (wanted === "stopped" && running) halt(ctx, guest);
  }
  return ok(said);
}

export function startGuest(ctx: CommandContext, type: GuestType, vmidArg: string | undefined): CommandOutput {
  const guest = load(ctx, type, vmidArg);
  if (!isLoaded(guest)) return guest;
  const ha = haRequest(ctx, type, guest, "started");
  if (ha) return ha;
  if (runtimeOf(ctx.state, guest.vmid).status === "running") {
    return fail(`${label(type)} ${guest.vmid} already running`, PVE_DIE);
  }
  const lock = mainKey(guest.text, "lock");
  if (lock !== null) return fail(`${label(type)} is locked (${lock})`, PVE_DIE);
  const error = startError(ctx, type, guest);
  if (error) return fail(error, PVE_DIE);
  run(ctx, type, guest);
  return ok();
}

export function stopGuest(ctx: CommandContext, type: GuestType, vmidArg: string | undefined): CommandOutput {
  const guest = load(ctx, type, vmidArg);
  if (!isLoaded(guest)) return guest;
  const ha = haRequest(ctx, type, guest, "stopped");
  if (ha) return ha;
  if (runtimeOf(ctx.state, guest.vmid).status !== "running") {
    return type === "lxc" ? fail(`CT ${guest.vmid} not running`, PVE_DIE) : ok();
  }
  halt(ctx, guest);
  return ok();
}
