/**
 * The refusal catalogue: every code a runbook or the engine can return, with the type of its data
 * and its words. A runbook declares the codes it may return (`meta.refuses`); `refuse(code, data)`
 * only compiles for a declared code with the right data. One file per domain; add a code to the
 * file of its domain.
 */
import { clusterRefusals } from "./cluster.js";
import { configRefusals } from "./config.js";
import { engineRefusals } from "./engine.js";
import type { RefusalEntry } from "./entry.js";
import { guestRefusals } from "./guests.js";
import { haRefusals } from "./ha.js";
import { networkRefusals } from "./network.js";
import { quorumDeviceRefusals } from "./quorum-device.js";
import { replicationRefusals } from "./replication.js";
import { storageRefusals } from "./storage.js";

/** Each domain's codes; the contract test proves no code is in two of them. */
export const REFUSAL_DOMAINS = {
  engine: engineRefusals,
  guests: guestRefusals,
  cluster: clusterRefusals,
  config: configRefusals,
  ha: haRefusals,
  replication: replicationRefusals,
  storage: storageRefusals,
  network: networkRefusals,
  quorumDevice: quorumDeviceRefusals,
} as const;

export const REFUSALS = {
  ...engineRefusals,
  ...guestRefusals,
  ...clusterRefusals,
  ...configRefusals,
  ...haRefusals,
  ...replicationRefusals,
  ...storageRefusals,
  ...networkRefusals,
  ...quorumDeviceRefusals,
};

export type RefusalCode = keyof typeof REFUSALS;

/** The data `refuse(code, data)` takes for `code`. */
export type RefusalData<C extends RefusalCode> =
  (typeof REFUSALS)[C] extends RefusalEntry<infer D> ? D : never;

export function isRefusalCode(code: string): code is RefusalCode {
  return Object.hasOwn(REFUSALS, code);
}

export type { RefusalEntry, RefusalWords } from "./entry.js";
