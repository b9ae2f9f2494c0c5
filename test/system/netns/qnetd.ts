/**
 * A real corosync-qnetd host beside a netns bed (scripts/testbed/qnetd-up.sh): namespace
 * pvefix-qnetd on the corosync bridge at 10.10.10.9, with sshd and corosync-qnetd, and the nodes'
 * root keys in place for `pvecm qdevice setup`.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { CorosyncCluster } from "./cluster.js";

const SCRIPTS = fileURLToPath(new URL("../../../scripts/testbed/", import.meta.url));
const STANDINS = fileURLToPath(new URL("../standins/", import.meta.url));
const run = promisify(execFile);

export const QNETD_IP = "10.10.10.9";

export interface QnetdHost {
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Tear the host down (qnetd-down.sh); safe to call twice. */
  down(): Promise<void>;
}

export async function startQnetd(bed: CorosyncCluster): Promise<QnetdHost> {
  const state = ["--state", bed.stateDir];
  await run(join(SCRIPTS, "qnetd-up.sh"), state);
  return {
    stop: async () => void (await run(join(SCRIPTS, "qnetd-ctl.sh"), [...state, "stop"])),
    start: async () => void (await run(join(SCRIPTS, "qnetd-ctl.sh"), [...state, "start"])),
    down: async () => void (await run(join(SCRIPTS, "qnetd-down.sh"), state)),
  };
}

/** argv run inside the node as its sshd would run it: the bed's Proxmox stand-ins first on PATH. */
export function asNode(argv: string[]): string[] {
  const path = `${join(STANDINS, "corosync")}:${join(STANDINS, "common")}:/usr/sbin:/usr/bin:/sbin:/bin`;
  return ["env", "-i", `PATH=${path}`, "HOME=/root", ...argv];
}
