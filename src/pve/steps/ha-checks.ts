/** The postconditions of ha-replication-mismatch's steps, defined once with their arguments' schema. */
import { z } from "zod";
import { defineCheck } from "../../kit/check.js";
import { sh } from "../../shell/quote.js";
import { placement, placementWords } from "../guards/ha-replication.js";
import { GuestKind, guestTool } from "../probes/guests.js";
import { haReplicationFacts } from "../probes/ha-replication.js";
import { PVE_TOOL } from "../probes/pve-tools.js";

/** Every node HA may pick for the guest holds a replica, read again from the cluster. */
export const replicasCoverHa = defineCheck(
  "replicas-cover-ha",
  z.object({ vmid: z.number() }),
  async (ctx, _node, { vmid }) => {
    const facts = await haReplicationFacts(ctx, vmid);
    const p = facts.guest ? placement(facts, facts.guest) : null;
    if (!p) return { ok: false, detail: `vm/ct ${vmid} is no longer found as an HA resource` };
    return { ok: p.missing.length === 0, detail: placementWords(p) };
  },
);

/** `qm status` / `pct status` says running on the node. */
export const guestRunning = defineCheck(
  "guest-running",
  z.object({ vmid: z.number().int(), kind: GuestKind }),
  async (ctx, node, guest) => {
    const result = await ctx.run(node, sh`${guestTool(guest.kind)} status ${guest.vmid}`, PVE_TOOL);
    const ok = result.exitCode === 0 && /^status: running$/m.test(result.stdout);
    return { ok, detail: result.stdout.trim() || result.stderr.trim() };
  },
);
