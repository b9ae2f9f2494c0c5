/** The named checks behind the cluster-config steps' verifications and postconditions (src/pve/steps/cluster-config.ts, composed in cluster-config-edit.ts). */
import { z } from "zod";
import type { CheckFn } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import { configVersionOf } from "../parsers/corosync-conf.js";
import { unitStates } from "../parsers/systemctl-is-active.js";
import { fileSha256, LOCAL_COROSYNC_CONF, parsed, parsePmxcfsProcs } from "./corosync.js";
import { quorumOf } from "./quorum.js";

const pass = (detail: string) => ({ ok: true, detail });
const failed = (detail: string) => ({ ok: false, detail });

/** Postconditions and step checks of the cluster-config steps (src/pve/steps/cluster-config.ts, composed in cluster-config-edit.ts). */
export const clusterConfigChecks: Record<string, CheckFn> = {
  async "node-quorate"(ctx, check) {
    const view = await quorumOf(ctx, check.node);
    return view.quorate ? pass(`${check.node} is quorate`) : failed(`${check.node} is not quorate`);
  },
  async "pve-writable"(ctx, check) {
    // PVE's own test (check_cfs_quorum): the owner-write bit of /etc/pve/local.
    const result = await ctx.run(check.node, "stat -c %a /etc/pve/local");
    const mode = Number.parseInt(result.stdout.trim(), 8);
    return result.exitCode === 0 && (mode & 0o200) !== 0
      ? pass(`/etc/pve/local is ${result.stdout.trim()}`)
      : failed(
          `/etc/pve is not writable (${(result.stdout || result.stderr).trim() || `exit ${result.exitCode}`})`,
        );
  },
  async "local-mode-off"(ctx, check) {
    const procs = await parsed(ctx, check.node, "ps -C pmxcfs -o pid=,args=", parsePmxcfsProcs);
    const local = procs.find((p) => p.localMode);
    return local ? failed(`pmxcfs -l still runs (pid ${local.pid})`) : pass("no local-mode pmxcfs");
  },
  async "unit-active"(ctx, check) {
    const unit = z.string().parse(check.args.unit);
    const state = (
      await parsed(ctx, check.node, sh`systemctl is-active ${unit}`, (s) => unitStates([unit], s))
    )[unit];
    return state === "active" ? pass(`${unit} is active`) : failed(`${unit} is ${state}`);
  },
  async "file-sha256"(ctx, check) {
    const { path, sha256 } = z.object({ path: z.string(), sha256: z.string() }).parse(check.args);
    const now = await fileSha256(ctx, check.node, path);
    return now === sha256
      ? pass(`${path} has sha256 ${sha256}`)
      : failed(`${path} has sha256 ${now ?? "(missing)"}`);
  },
  async "corosync-conf-version"(ctx, check) {
    const version = z.number().int().parse(check.args.version);
    const text = await ctx.readFile(check.node, LOCAL_COROSYNC_CONF);
    const now = text === null ? null : configVersionOf(text);
    return now === version
      ? pass(`config_version ${version}`)
      : failed(`${LOCAL_COROSYNC_CONF} has config_version ${now ?? "(none)"}`);
  },
};
