/**
 * Stopping and starting PVE's units on one node, one step per unit so that a failure rolls back
 * exactly the units already stopped. A stop is undone by starting the unit; a start only returns
 * the node to normal and has nothing to put back. HA units are stopped gracefully, never killed.
 */
import { z } from "zod";
import type { Check, Risk, StepInput } from "../../engine/model.js";
import { defineCheck } from "../../kit/check.js";
import { withWords } from "../../kit/step.js";
import { sh } from "../../shell/quote.js";
import {
  etcPveOf,
  type RestartableUnit,
  START_ORDER,
  STOP_ORDER,
  toolsOf,
  unitStatesOf,
} from "../probes/services.js";

export type ServiceUnit = RestartableUnit | "pve-ha-lrm" | "pve-ha-crm";

/** A unit is active, or stopped (inactive or failed). */
export const unitState = defineCheck(
  "unit-state",
  z.object({ unit: z.string(), want: z.enum(["active", "stopped"]) }),
  async (ctx, node, { unit, want }) => {
    const state = (await unitStatesOf(ctx, node, [unit]))[unit];
    const ok = want === "active" ? state === "active" : state === "inactive" || state === "failed";
    return { ok, detail: `${unit} is ${state}` };
  },
);

/** /etc/pve (pmxcfs) answers `stat` in time. */
export const etcPveResponsive = defineCheck("etc-pve-responsive", z.object({}), async (ctx, node) => {
  const etcPve = await etcPveOf(ctx, node);
  return { ok: etcPve.state === "responsive", detail: etcPve.detail };
});

/**
 * `pvecm status` answers on the node and says Quorate: Yes. Named `node-quorate` in pvefix 0.1.0 (the
 * name of cluster-config's check, which only reads the quorum): journals of older
 * restart-pve-services runs record this check under that name; a plan saved by such a version is
 * refused by `apply` as made by another version (plan-mismatch), as any renamed check would be.
 */
export const backInQuorum = defineCheck("back-in-quorum", z.object({}), async (ctx, node) => {
  const tools = await toolsOf(ctx, node);
  return { ok: tools.view?.quorate === true, detail: tools.detail };
});

export function unitCheck(node: string, unit: string, want: "active" | "stopped", waitMs: number): Check {
  const description = `${unit} is ${want === "active" ? "active" : "stopped"} on ${node}`;
  return unitState.at(node, description, { unit, want }, { waitMs });
}

export function etcPveCheck(node: string, waitMs: number): Check {
  return etcPveResponsive.at(node, `/etc/pve answers on ${node}`, {}, { waitMs });
}

export function quorateCheck(node: string, waitMs: number): Check {
  const description = `${node} is back in the quorum (pvecm status: Quorate: Yes)`;
  return backInQuorum.at(node, description, {}, { waitMs });
}

/** systemd waits up to TimeoutStopSec; pve-ha-lrm first freezes its services (proxmox-facts §9). */
const STOP_TIMEOUT_MS: Partial<Record<ServiceUnit, number>> = { "pve-ha-lrm": 180_000 };
/** pveproxy's ExecStartPre runs `pvecm updatecerts` for up to 80 s. */
const START_TIMEOUT_MS: Partial<Record<ServiceUnit, number>> = { pveproxy: 150_000 };

function stepId(verb: "stop" | "start", unit: string, node: string): string {
  return `${verb}-${unit}-${node}`.toLowerCase();
}

interface UnitStep {
  node: string;
  unit: ServiceUnit;
  risk: Risk;
  reason: string;
  warning?: string;
  verify?: Check[];
}

export function stopUnitStep(o: UnitStep): StepInput {
  return {
    id: stepId("stop", o.unit, o.node),
    title: `Stop ${o.unit} on ${o.node}`,
    node: o.node,
    risk: o.risk,
    reason: o.reason,
    ...(o.warning ? { warning: o.warning } : {}),
    actions: [
      { kind: "exec", command: sh`systemctl stop ${o.unit}`, timeoutMs: STOP_TIMEOUT_MS[o.unit] ?? 90_000 },
    ],
    undo: {
      kind: "actions",
      description: `start ${o.unit} again`,
      actions: [
        {
          kind: "exec",
          command: sh`systemctl start ${o.unit}`,
          timeoutMs: START_TIMEOUT_MS[o.unit] ?? 90_000,
        },
      ],
    },
    verify: o.verify ?? [unitCheck(o.node, o.unit, "stopped", 15_000)],
  };
}

export function startUnitStep(o: UnitStep): StepInput {
  return {
    id: stepId("start", o.unit, o.node),
    title: `Start ${o.unit} on ${o.node}`,
    node: o.node,
    risk: o.risk,
    reason: o.reason,
    ...(o.warning ? { warning: o.warning } : {}),
    actions: [
      { kind: "exec", command: sh`systemctl start ${o.unit}`, timeoutMs: START_TIMEOUT_MS[o.unit] ?? 90_000 },
    ],
    undo: { kind: "none", reason: `starting ${o.unit} returns ${o.node} to its normal state` },
    verify: [unitCheck(o.node, o.unit, "active", 30_000), ...(o.verify ?? [])],
  };
}

export interface RestartOptions {
  node: string;
  /** Which of the five units to restart; always run in the fixed stop and start orders. */
  units: readonly RestartableUnit[];
  /** Those of `units` that run now and are stopped first; the others are only started. @default units */
  running?: readonly RestartableUnit[];
  /** Check that the node is back in a quorate cluster once corosync and pmxcfs are up. @default true */
  verifyQuorum?: boolean;
  risk: Risk;
  reason: string;
  /** Stop pve-ha-lrm (then pve-ha-crm, when it runs) first and start them again last. */
  ha: { crm: boolean; resources: readonly string[] } | null;
  /** Shown at the gate of the corosync stop (what the node's departure does to the quorum). */
  corosyncWarning?: string;
  /** How long the node may take to rejoin the quorum. @default 90000 */
  quorumWaitMs?: number;
}

/**
 * The field report's sequence: stop pveproxy → corosync, start corosync → pveproxy, wrapped in the
 * HA units (LRM before CRM on the way down, CRM before LRM on the way up). /etc/pve and the quorum
 * are verified as soon as pve-cluster (or corosync alone) is back, before anything else starts.
 */
export const restartServicesSteps = withWords(
  {
    changes: [
      "`systemctl stop` pveproxy, spiceproxy, pvestatd, pve-cluster, corosync (in that order, those that run), then `systemctl start` corosync, pve-cluster, pvestatd, spiceproxy, pveproxy",
      "with --with-ha on an armed node: `systemctl stop pve-ha-lrm` then `pve-ha-crm` first, `systemctl start pve-ha-crm` then `pve-ha-lrm` last",
    ],
    undoes: [
      "every stopped unit is started again (a failure mid-way starts again every unit the run stopped); a start needs no undo",
    ],
    checks: [unitState, etcPveResponsive, backInQuorum],
  },
  restartSteps,
);

function restartSteps(o: RestartOptions): StepInput[] {
  const { node, risk, reason } = o;
  const stops = STOP_ORDER.filter((u) => o.units.includes(u) && (o.running ?? o.units).includes(u));
  const starts = START_ORDER.filter((u) => o.units.includes(u));
  const quorate = o.verifyQuorum === false ? [] : [quorateCheck(node, o.quorumWaitMs ?? 90_000)];
  // pvecm status reads /etc/pve/corosync.conf: the quorum can only be read once pmxcfs is back.
  const checksAfter = (unit: RestartableUnit): Check[] =>
    unit === "pve-cluster"
      ? [etcPveCheck(node, 30_000), ...quorate]
      : unit === "corosync" && !starts.includes("pve-cluster")
        ? quorate
        : [];
  const haUnits: ServiceUnit[] = o.ha ? (o.ha.crm ? ["pve-ha-lrm", "pve-ha-crm"] : ["pve-ha-lrm"]) : [];
  return [
    ...haUnits.map((unit) =>
      stopUnitStep({ node, unit, risk, reason, warning: haWarning(node, o.ha!.resources) }),
    ),
    ...stops.map((unit) =>
      stopUnitStep({
        node,
        unit,
        risk,
        reason,
        ...(unit === "corosync" && o.corosyncWarning ? { warning: o.corosyncWarning } : {}),
      }),
    ),
    ...starts.map((unit) => startUnitStep({ node, unit, risk, reason, verify: checksAfter(unit) })),
    ...[...haUnits].reverse().map((unit) => startUnitStep({ node, unit, risk, reason })),
  ];
}

function haWarning(node: string, resources: readonly string[]): string {
  const sids = resources.join(", ") || "none listed";
  return `HA resources on ${node} (${sids}) are frozen while pve-ha-lrm is stopped: HA neither recovers nor migrates them until it starts again. The LRM is stopped gracefully and waited for, never killed.`;
}
