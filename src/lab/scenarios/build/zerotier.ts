/** zerotier-one installed on a node: identity, one joined network, the running daemon. */
import { UNIT_PROCESSES } from "../../model/services.js";
import type { LabNode, LabState } from "../../state.js";
import { nodeOf } from "./cluster.js";
import { startedAgo } from "./processes.js";

export const ZT_NETWORK = "8056c2e21c000001";
export const ZT_DEV = "ztly5a3b2c";

export interface ZerotierSpec {
  /** The bridge the tap was added to, or null. */
  bridge: string | null;
  ips: string[];
  /** Initial `local.conf` bytes; omitted = no file. */
  localConf?: string;
  looping: boolean;
}

export function installZerotier(state: LabState, name: string, spec: ZerotierSpec): LabNode {
  const node = nodeOf(state, name);
  const index = state.nodes.indexOf(node) + 1;
  const address = `a1b2c3d4e${index}`;
  node.zerotier = {
    address,
    version: "1.14.2",
    networks: [
      {
        nwid: ZT_NETWORK,
        name: "homelab",
        mac: `5a:1e:7f:3b:2c:1${index}`,
        dev: ZT_DEV,
        bridge: spec.bridge,
        ips: spec.ips,
      },
    ],
    looping: spec.looping,
    baseRss: 11_840,
  };
  node.services["zerotier-one"] = "active";
  node.dirs.push("/var/lib/zerotier-one", `/var/lib/zerotier-one/networks.d`);
  node.files["/var/lib/zerotier-one/identity.public"] = `${address}:0:${"3f".repeat(32)}\n`;
  node.files[`/var/lib/zerotier-one/networks.d/${ZT_NETWORK}.conf`] = "";
  if (spec.localConf !== undefined) node.files["/var/lib/zerotier-one/local.conf"] = spec.localConf;
  const main = UNIT_PROCESSES["zerotier-one"];
  startedAgo(state, node, "zerotier-one", 3 * 86_400, {
    args: main?.args ?? "/usr/sbin/zerotier-one",
    // Looping since boot: far above a fresh daemon's footprint already.
    rss: spec.looping ? 1_482_332 : node.zerotier.baseRss,
    cpuPermille: spec.looping ? 1_873 : (main?.cpuPermille ?? 3),
    unit: "zerotier-one",
  });
  return node;
}
