/**
 * Parser formats for PVE files, guests, storage, tasks, HA and replication, as reached by
 * `pvefix parse <name>`. (Corosync/quorum formats are registered separately.)
 */

import { clusterLogFormat } from "./cluster-log.js";
import type { ParserFormat } from "./format.js";
import { guestConfigFormat } from "./guest-config.js";
import { haGroupsFormat, haResourcesFormat, haRulesFormat } from "./ha-config.js";
import { haManagerStatusFormat } from "./ha-manager-status.js";
import { pctListFormat } from "./pct-list.js";
import { membersFormat } from "./pmxcfs-members.js";
import { procMountsFormat } from "./proc-mounts.js";
import { procPidStatFormat } from "./proc-pid-stat.js";
import { pveJournalFormat } from "./pve-journal.js";
import { pvesmStatusFormat } from "./pvesm-status.js";
import { pvesrListFormat } from "./pvesr-list.js";
import { pvesrStatusFormat } from "./pvesr-status.js";
import { qmListFormat } from "./qm-list.js";
import { replicationCfgFormat } from "./replication-cfg.js";
import { replicationLogFormat } from "./replication-log.js";
import { sectionConfigFormat } from "./section-config.js";
import { storageCfgFormat } from "./storage-cfg.js";
import { systemctlIsActiveFormat } from "./systemctl-is-active.js";
import { taskLogFormat } from "./task-log.js";
import { tasksActiveFormat } from "./tasks-active.js";
import { upidFormat } from "./upid.js";
import { vmlistFormat } from "./vmlist.js";

export const formatsA: ParserFormat[] = [
  sectionConfigFormat,
  storageCfgFormat,
  guestConfigFormat,
  upidFormat,
  tasksActiveFormat,
  procPidStatFormat,
  pvesmStatusFormat,
  pctListFormat,
  qmListFormat,
  procMountsFormat,
  systemctlIsActiveFormat,
  membersFormat,
  vmlistFormat,
  haResourcesFormat,
  haGroupsFormat,
  haRulesFormat,
  haManagerStatusFormat,
  replicationCfgFormat,
  pvesrStatusFormat,
  pvesrListFormat,
  replicationLogFormat,
  taskLogFormat,
  clusterLogFormat,
  pveJournalFormat,
];
