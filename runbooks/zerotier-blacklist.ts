/**
 * zerotier-blacklist: stop the ZeroTier loop by blacklisting the node's internal networks and interfaces
 * in local.conf, then restart zerotier-one and check that its memory stops growing.
 */
import { z } from "zod";
import { NodeParam } from "../src/engine/params.js";
import { ProbeError } from "../src/engine/probe-context.js";
import { defineRunbook, refuse } from "../src/kit/index.js";
import { zerotierFindings } from "../src/pve/findings/zerotier.js";
import { blacklistGaps, requiredBlacklist, usableLocalConf } from "../src/pve/guards/zerotier-blacklist.js";
import { isNodeUnreachable } from "../src/pve/probes/unreachable.js";
import {
  ZEROTIER_LOCAL_CONF as CONF,
  describeGrowth,
  ZEROTIER_RUNNING,
  type ZerotierFacts,
  zerotierOf,
} from "../src/pve/probes/zerotier.js";
import {
  blacklistWarnings,
  blacklistWriteFor,
  mergedLocalConf,
  notStartedWarning,
  restartZerotierFor,
  restartZerotierStep,
  writeLocalConfStep,
} from "../src/pve/steps/zerotier.js";

const list = (items: readonly string[]): string => items.join(", ");

export default defineRunbook({
  meta: {
    id: "zerotier-blacklist",
    summary:
      "Stop the ZeroTier loop: blacklist the internal networks and interfaces in local.conf, restart zerotier-one",
    description:
      "zerotier-one binds to every physical interface. When a ZeroTier port sits in a bridge, ZeroTier traffic goes over that bridge and back into ZeroTier: a loop that eats CPU and memory until the OOM killer stops it or the node loses quorum and HA fences it. This runbook writes a local.conf that blacklists every private network of the node (`physical.<cidr>.blacklist`) and every interface that does not lead outside (`settings.interfacePrefixBlacklist`), keeping every other key, then restarts zerotier-one and checks that its memory stops growing.",
    risk: "guarded",
    unattended: "eligible",
    undo: "full",
    checks: [
      "whether zerotier-one is installed and its unit state (`systemctl is-active zerotier-one`)",
      "its resident memory and CPU in two `ps` samples 2 s apart (growth = the loop)",
      "interfaces, bridge ports, addresses and the default route (`ip -j link|addr|route show`)",
      "the joined ZeroTier networks and their devices (`zerotier-cli listnetworks`)",
      "the current /var/lib/zerotier-one/local.conf: absent, valid JSON or invalid",
      "corosync ring addresses in /etc/pve/corosync.conf that lie in a ZeroTier network",
    ],
    asks: [
      "a confirmation before replacing a local.conf that is not valid JSON (its settings cannot be merged)",
      "a confirmation before restarting zerotier-one when a corosync link of the node runs over ZeroTier (the restart drops it; such a plan never runs unattended)",
    ],
    refuses: {
      "probe-failed":
        "the node is not in the inventory, or has no default route outside ZeroTier (the way out is unknown)",
      "invalid-config":
        "local.conf is JSON but `physical` or `settings.interfacePrefixBlacklist` has the wrong type",
      "node-unreachable": "the node does not answer over SSH",
    },
    notes: [
      "The interface with the default route (and its ports) is never blacklisted; a name that begins the way out's name (`vmbr1` vs `vmbr10`) is covered only by its networks, because zerotier-one matches prefixes.",
      "zerotier-one exits on a local.conf that is not strict JSON, also on its 10-second hot reload: the new file is re-parsed before the plan is made.",
      "A corosync link over ZeroTier is reported, not moved: put the heartbeat on a physical network.",
    ],
    seeAlso: ["proxmox-facts §10 (ZeroTier)", "seed 000 (ZeroTier loop kills a cluster)"],
  },
  params: z
    .object({ node: NodeParam.describe("Node whose zerotier-one loops or lacks the blacklist") })
    .strict(),
  examples: [
    {
      intent: "Stop zerotier-one on pve1 from eating all memory through the vmbr1 bridge",
      params: { node: "pve1" },
    },
    {
      intent: "Add the blacklist to pve2's existing local.conf, keeping its other settings",
      params: { node: "pve2" },
    },
  ],
  steps: [writeLocalConfStep, restartZerotierStep],

  async probe(ctx, { node }): Promise<ZerotierFacts> {
    if (!ctx.nodes.includes(node))
      throw new ProbeError(`node ${node} is not in the inventory (${ctx.nodes.join(", ")})`, node);
    return zerotierOf(ctx, node);
  },

  decide({ node }, f) {
    if (!f.installed) return { kind: "nothing-to-do", reason: `zerotier-one is not installed on ${node}` };
    const required = requiredBlacklist(f);
    const defaultRouteDevs = f.network.defaultRouteDevs;
    if (required.outside.length === 0)
      return refuse("probe-failed", { case: "no-way-out", node, defaultRouteDevs, file: CONF });
    const conf = usableLocalConf(f.localConf);
    const gaps = blacklistGaps(conf, required);
    const missing = [...gaps.cidrs, ...gaps.interfacePrefixes];
    const running = ZEROTIER_RUNNING.has(f.service);
    const warnings = blacklistWarnings(f, required);
    if (missing.length === 0) {
      const covered = `${CONF} already blacklists ${list([...required.cidrs, ...required.interfacePrefixes]) || "everything needed"}`;
      if (!(f.memory.growing && running)) return { kind: "nothing-to-do", reason: `${covered} on ${node}` };
      const why = `${covered}, yet ${describeGrowth(f.memory)}: the running daemon has not applied it`;
      const summary = `Restart zerotier-one on ${node} so it applies the blacklist it already has`;
      return { kind: "plan", plan: { summary, warnings, steps: [restartZerotierFor(f, why)] } };
    }
    const merged = mergedLocalConf(conf, gaps);
    if (!merged.ok) {
      const at = { file: CONF, node, problem: merged.error, adding: "the blacklist" };
      return refuse("invalid-config", { case: "cannot-merge", ...at });
    }
    // An inactive unit was stopped on purpose: write the file, leave starting it to the operator.
    const restarts = running || f.service === "failed";
    const write = blacklistWriteFor(f, { content: merged.text, missing, required, restarts });
    const started = running
      ? "zerotier-one reads local.conf at start; the check waits until its memory stops growing"
      : "zerotier-one failed (OOM kill or a bad local.conf); it starts again with the blacklist";
    if (!restarts) warnings.push(notStartedWarning(node, f.service));
    return {
      kind: "plan",
      plan: {
        summary: `Blacklist ${list(missing)} for ZeroTier on ${node}${restarts ? " and restart zerotier-one" : ""}`,
        warnings,
        steps: restarts ? [write, restartZerotierFor(f, started)] : [write],
      },
    };
  },

  // The memory samples change on every probe; whether memory grows is the fact the plan relies on.
  stableFacts: (f: ZerotierFacts) => ({ ...f, memory: { growing: f.memory.growing } }),

  async detect(ctx) {
    const { up } = await ctx.reachable();
    const all = await Promise.all(
      up.map((node) =>
        zerotierOf(ctx, node).catch((error: unknown) => {
          if (isNodeUnreachable(error)) return null;
          throw error;
        }),
      ),
    );
    return all.flatMap((f) => {
      if (!f?.installed) return [];
      // `run` when the runbook would plan a fix, `plan` to see why it would not.
      return zerotierFindings(f, this.decide({ node: f.node }, f).kind === "plan" ? "run" : "plan");
    });
  },
});
