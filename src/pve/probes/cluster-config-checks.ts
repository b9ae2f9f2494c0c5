/** The checks behind the cluster-config steps' verifications and postconditions (src/pve/steps/cluster-config.ts, composed in cluster-config-edit.ts). */
import { z } from "zod";
import type { CheckFn } from "../../engine/runbook.js";
import { defineCheck } from "../../kit/check.js";
import { sh } from "../../shell/quote.js";
import { configVersionOf } from "../parsers/corosync-conf.js";
import { unitStates } from "../parsers/systemctl-is-active.js";
import { fileSha256, LOCAL_COROSYNC_CONF, parsed, parsePmxcfsProcs } from "./corosync.js";
import { quorumOf } from "./quorum.js";

const pass = (detail: string) => ({ ok: true, detail });
const failed = (detail: string) => ({ ok: false, detail });
const none = z.object({});

export const nodeQuorate = defineCheck("node-quorate", none, async (ctx, node) => {
  const view = await quorumOf(ctx, node);
  return view.quorate ? pass(`${node} is quorate`) : failed(`${node} is not quorate`);
});

export const pveWritable = defineCheck("pve-writable", none, async (ctx, node) => {
  // PVE's own test (check_cfs_quorum): the owner-write bit of /etc/pve/local.
  const result = await ctx.run(node, "stat -c %a /etc/pve/local");
  const mode = Number.parseInt(result.stdout.trim(), 8);
  return result.exitCode === 0 && (mode & 0o200) !== 0
    ? pass(`/etc/pve/local is ${result.stdout.trim()}`)
    : failed(
        `/etc/pve is not writable (${(result.stdout || result.stderr).trim() || `exit ${result.exitCode}`})`,
      );
});

export const localModeOff = defineCheck("local-mode-off", none, async (ctx, node) => {
  const procs = await parsed(ctx, node, "ps -C pmxcfs -o pid=,args=", parsePmxcfsProcs);
  const local = procs.find((p) => p.localMode);
  return local ? failed(`pmxcfs -l still runs (pid ${local.pid})`) : pass("no local-mode pmxcfs");
});

export const unitActive = defineCheck(
  "unit-active",
  z.object({ unit: z.string() }),
  async (ctx, node, { unit }) => {
    const state = (await parsed(ctx, node, sh`systemctl is-active ${unit}`, (s) => unitStates([unit], s)))[
      unit
    ];
    return state === "active" ? pass(`${unit} is active`) : failed(`${unit} is ${state}`);
  },
);

export const fileSha256Check = defineCheck(
  "file-sha256",
  z.object({ path: z.string(), sha256: z.string() }),
  async (ctx, node, { path, sha256 }) => {
    const now = await fileSha256(ctx, node, path);
    return now === sha256
      ? pass(`${path} has sha256 ${sha256}`)
      : failed(`${path} has sha256 ${now ?? "(missing)"}`);
  },
);

export const corosyncConfVersion = defineCheck(
  "corosync-conf-version",
  z.object({ version: z.number().int() }),
  async (ctx, node, { version }) => {
    const text = await ctx.readFile(node, LOCAL_COROSYNC_CONF);
    const now = text === null ? null : configVersionOf(text);
    return now === version
      ? pass(`config_version ${version}`)
      : failed(`${LOCAL_COROSYNC_CONF} has config_version ${now ?? "(none)"}`);
  },
);

/** Every check the cluster-config steps and plans may name. */
export const CLUSTER_CONFIG_CHECKS = [
  nodeQuorate,
  pveWritable,
  localModeOff,
  unitActive,
  fileSha256Check,
  corosyncConfVersion,
];

/** Every check above by name (what the engine calls). */
export const clusterConfigChecks: Record<string, CheckFn> = Object.fromEntries(
  CLUSTER_CONFIG_CHECKS.map((c) => [c.name, c.fn]),
);
