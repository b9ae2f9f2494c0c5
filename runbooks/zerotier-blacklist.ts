/**
 * zerotier-blacklist: stop the ZeroTier loop by blacklisting the node's internal networks and interfaces
 * in local.conf, then restart zerotier-one and check that its memory stops growing.
 */
import { z } from "zod";
import type { Decision, Finding, StepInput } from "../src/engine/model.js";
import { NodeParam } from "../src/engine/params.js";
import { ProbeError } from "../src/engine/probe-context.js";
import { defineRunbook, type ProbeContext } from "../src/engine/runbook.js";
import {
  blacklistGaps,
  bridgeBlacklisted,
  bridgedZerotier,
  ZEROTIER_LOCAL_CONF as CONF,
  describeGrowth,
  heartbeatOnlyOverZerotier,
  heartbeatOverZerotier,
  list,
  requiredBlacklist,
  usableLocalConf,
  type ZerotierFacts,
  zerotierOf,
  zerotierStable,
} from "../src/pve/probes/zerotier.js";
import {
  blacklistWarnings,
  mergedLocalConf,
  notStartedWarning,
  replacedWarning,
  restartZerotierStep,
  writeLocalConfStep,
} from "../src/pve/steps/zerotier.js";
import { TransportError } from "../src/transport/errors.js";

const Params = z
  .object({ node: NodeParam.describe("Node whose zerotier-one loops or lacks the blacklist") })
  .strict();
type Params = z.infer<typeof Params>;

const RUNNING = new Set(["active", "reloading", "refreshing", "activating"]);

async function probe(ctx: ProbeContext, { node }: Params): Promise<ZerotierFacts> {
  if (!ctx.nodes.includes(node))
    throw new ProbeError(`node ${node} is not in the inventory (${ctx.nodes.join(", ")})`, node);
  return zerotierOf(ctx, node);
}

function decide({ node }: Params, f: ZerotierFacts): Decision {
  if (!f.installed) return { kind: "nothing-to-do", reason: `zerotier-one is not installed on ${node}` };
  const required = requiredBlacklist(f);
  if (required.outside.length === 0) {
    return refuse(
      "probe-failed",
      `${node} has no default route outside ZeroTier: cannot tell which interface leads out`,
      `\`ip -j route show default\` names ${list(f.network.defaultRouteDevs) || "no device"}; blacklisting every other interface could cut ZeroTier off. Edit ${CONF} by hand.`,
      node,
    );
  }
  const conf = usableLocalConf(f.localConf);
  const gaps = blacklistGaps(conf, required);
  const missing = [...gaps.cidrs, ...gaps.interfacePrefixes];
  const running = RUNNING.has(f.service);
  const warnings = blacklistWarnings(f, required);
  if (missing.length === 0) {
    const covered = `${CONF} already blacklists ${list([...required.cidrs, ...required.interfacePrefixes]) || "everything needed"}`;
    if (!(f.memory.growing && running)) return { kind: "nothing-to-do", reason: `${covered} on ${node}` };
    const why = `${covered}, yet ${describeGrowth(f.memory)}: the running daemon has not applied it`;
    const summary = `Restart zerotier-one on ${node} so it applies the blacklist it already has`;
    return { kind: "plan", plan: { summary, warnings, steps: [restart(f, why)] } };
  }
  const merged = mergedLocalConf(conf, gaps);
  if (!merged.ok) {
    const detail = `${merged.error}; fix the file by hand`;
    return refuse("invalid-config", `Cannot add the blacklist to ${CONF} on ${node}`, detail, node);
  }
  // An inactive unit was stopped on purpose: write the file, leave starting it to the operator.
  const restarts = running || f.service === "failed";
  const write = writeLocalConfStep({
    node,
    content: merged.text,
    existed: f.localConf.state !== "absent",
    current: f.localConf.state === "absent" ? null : f.localConf.text,
    restarts,
    // Replacing an unreadable file drops whatever settings it meant to hold: a human decides.
    risk: f.localConf.state === "invalid" ? "guarded" : "safe",
    reason: [
      f.memory.growing ? describeGrowth(f.memory) : `zerotier-one is ${f.service}`,
      ...bridgedZerotier(f).map((b) => `${b.dev} is a port of ${b.bridge}`),
      `local.conf is ${f.localConf.state} and lacks ${list(missing)}`,
      `the way out stays open: ${list(required.outside)}`,
    ].join("; "),
    ...(f.localConf.state === "invalid" ? { warning: replacedWarning(f.localConf.error) } : {}),
  });
  const started = running
    ? "zerotier-one reads local.conf at start; the check waits until its memory stops growing"
    : "zerotier-one failed (OOM kill or a bad local.conf); it starts again with the blacklist";
  if (!restarts) warnings.push(notStartedWarning(node, f.service));
  return {
    kind: "plan",
    plan: {
      summary: `Blacklist ${list(missing)} for ZeroTier on ${node}${restarts ? " and restart zerotier-one" : ""}`,
      warnings,
      steps: restarts ? [write, restart(f, started)] : [write],
    },
  };
}

/**
 * Guarded when a corosync link of the node runs over ZeroTier: the restart drops that link for a few
 * seconds and the blacklist then sends it the long way round. Every link over ZeroTier: quorum and HA
 * fencing are at stake; only some: the cluster keeps its heartbeat on the others, but degraded.
 */
function restart(f: ZerotierFacts, reason: string): StepInput {
  const over = heartbeatOverZerotier(f).filter((r) => r.node === f.node);
  if (over.length === 0) return restartZerotierStep({ node: f.node, risk: "safe", reason });
  const links = list(over.map((r) => `link ${r.link}`));
  const warning = heartbeatOnlyOverZerotier(f)
    ? `every corosync link of ${f.node} runs over ZeroTier: the restart interrupts its heartbeat for a few seconds, which can cost quorum and, with HA, fence the node`
    : `corosync ${links} of ${f.node} runs over ZeroTier: the restart drops it for a few seconds and the blacklist then routes it only through the way out, so the heartbeat is degraded to its other links meanwhile`;
  return restartZerotierStep({ node: f.node, risk: "guarded", reason, warning });
}

function refuse(
  code: "probe-failed" | "invalid-config",
  message: string,
  detail: string,
  node: string,
): Decision {
  return { kind: "refusal", refusal: { code, message, detail, node } };
}

/** The detector's findings for one node: the loop (critical), an open bridge, a heartbeat over ZeroTier. */
function findingsFor(f: ZerotierFacts): Finding[] {
  const params = { node: f.node };
  const next = `pvefix ${decide(params, f).kind === "plan" ? "run" : "plan"} zerotier-blacklist --node ${f.node}`;
  const finding = (severity: Finding["severity"], summary: string, command = next): Finding => ({
    runbook: "zerotier-blacklist",
    severity,
    node: f.node,
    params,
    summary,
    command,
  });
  const open = bridgedZerotier(f)
    .filter((b) => !bridgeBlacklisted(f, b.bridge))
    .map((b) => `${b.dev} is a port of ${b.bridge}`);
  const heartbeat = heartbeatOverZerotier(f)
    .filter((r) => r.node === f.node)
    .map((r) =>
      finding(
        "warning",
        `corosync link ${r.link} of ${f.node} (${r.addr}) runs over the ZeroTier network ${r.cidr}: the heartbeat depends on ZeroTier`,
        "pvefix explain zerotier-blacklist",
      ),
    );
  const loop = open.length > 0 ? ` (${list(open)}: ZeroTier routes over itself)` : "";
  if (f.memory.growing && RUNNING.has(f.service)) {
    const summary = `${describeGrowth(f.memory)} on ${f.node}${loop}; it ends with the OOM killer or HA fencing`;
    return [finding("critical", summary), ...heartbeat];
  }
  if (open.length === 0) return heartbeat;
  const summary = `${list(open)} on ${f.node} and local.conf does not blacklist it: ZeroTier can route over itself`;
  return [finding("warning", summary), ...heartbeat];
}

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
    changes: [
      "/var/lib/zerotier-one/local.conf: adds the missing `physical.<cidr>.blacklist` entries and interface prefixes, keeps every other key",
      "`systemctl restart zerotier-one` when it is active or failed (an inactive unit is left stopped)",
    ],
    undoes: ["puts the previous local.conf back (or removes the new one) and restarts zerotier-one"],
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
  params: Params,
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
  probe,
  decide,
  // The memory samples change on every probe; whether memory grows is the fact the plan relies on.
  stableFacts: (f: ZerotierFacts) => ({ ...f, memory: { growing: f.memory.growing } }),
  checks: { "zerotier-stable": (ctx, check) => zerotierStable(ctx, check.node) },
  async detect(ctx): Promise<Finding[]> {
    const { up } = await ctx.reachable();
    const facts = await Promise.all(
      up.map((node) =>
        zerotierOf(ctx, node).catch((error: unknown) => {
          if (error instanceof TransportError) return null;
          throw error;
        }),
      ),
    );
    return facts.flatMap((f) => (f?.installed ? findingsFor(f) : []));
  },
});
