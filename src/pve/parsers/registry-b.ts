/**
 * Parser formats for corosync, quorum, cluster network, ZeroTier and process samples, as reached by
 * `pvefix parse <name>`. (PVE file, guest, storage, task, HA and replication formats are in registry-a.)
 */
import { corosyncCfgtoolFormat } from "./corosync-cfgtool.js";
import { corosyncCfgtoolNodesFormat } from "./corosync-cfgtool-nodes.js";
import { corosyncCmapctlFormat } from "./corosync-cmapctl.js";
import { corosyncConfFormat } from "./corosync-conf.js";
import { corosyncLogFormat } from "./corosync-log.js";
import { corosyncQdeviceToolFormat } from "./corosync-qdevice-tool.js";
import type { ParserFormat } from "./format.js";
import { ipAddrFormat, ipLinkFormat } from "./ip-link.js";
import { psFormat } from "./ps-sample.js";
import { pvecmNodesFormat } from "./pvecm-nodes.js";
import { corosyncQuorumtoolFormat, pvecmStatusFormat } from "./pvecm-status.js";
import { zerotierInfoFormat, zerotierListNetworksFormat, zerotierLocalConfFormat } from "./zerotier.js";

export const formatsB: ParserFormat[] = [
  pvecmStatusFormat,
  corosyncQuorumtoolFormat,
  pvecmNodesFormat,
  corosyncCfgtoolFormat,
  corosyncCmapctlFormat,
  corosyncCfgtoolNodesFormat,
  corosyncQdeviceToolFormat,
  corosyncConfFormat,
  zerotierLocalConfFormat,
  zerotierInfoFormat,
  zerotierListNetworksFormat,
  ipLinkFormat,
  ipAddrFormat,
  corosyncLogFormat,
  psFormat,
];
