/** A `pvefix serve --lab` child on a free loopback port, with tokens, and small HTTP helpers for the tests. */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import type { RunSummary } from "../../../src/engine/journal.js";
import { type JournalEntry, listRuns, readJournal } from "../../../src/index.js";
import type { cliSession, Started } from "../cli/pvefix.js";

type Cli = ReturnType<typeof cliSession>;

export interface Served {
  url: string;
  child: Started;
  tokens: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: responses are asserted field by field with toMatchObject
  post(pathname: string, body: unknown, token: string): Promise<{ status: number; json: any }>;
  get(pathname: string, token?: string): Promise<{ status: number; text: string }>;
  stop(): Promise<void>;
}

export async function addToken(cli: Cli, name: string, role: string): Promise<string> {
  const r = await cli.pvefix(["serve", "token", "add", name, "--role", role]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

export async function startServed(
  cli: Cli,
  rules: string,
  tokens: Record<string, string>,
  listen = "127.0.0.1:0",
  /** Instead of --lab: the cluster and store flags (-i, --database …). */
  target: readonly string[] = ["--lab"],
): Promise<Served> {
  const rulesFile = path.join(cli.stateDir, "rules.yaml");
  fs.writeFileSync(rulesFile, rules);
  const child = cli.start(["serve", ...target, "--rules", rulesFile, "--listen", listen]);
  await child.waitFor(/"listening":"http:\/\/127\.0\.0\.1:\d+"/, 30_000);
  const url = /"listening":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(child.output())?.[1] as string;
  return {
    url,
    child,
    tokens,
    async post(pathname, body, token) {
      const res = await fetch(`${url}${pathname}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    async get(pathname, token) {
      const res = await fetch(
        `${url}${pathname}`,
        token ? { headers: { authorization: `Bearer ${token}` } } : {},
      );
      return { status: res.status, text: await res.text() };
    },
    async stop() {
      child.child.kill("SIGTERM");
      await child.exited;
    },
  };
}

export function webhook(
  alerts: Array<{ labels: Record<string, string>; fingerprint: string; startsAt?: string; status?: string }>,
) {
  return {
    version: "4",
    groupKey: '{}:{alertname="PveGuestLocked"}',
    status: "firing",
    receiver: "pvefix",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.invalid",
    alerts: alerts.map((a) => ({
      status: a.status ?? "firing",
      labels: a.labels,
      annotations: {},
      startsAt: a.startsAt ?? "2026-12-01T00:00:00Z",
      fingerprint: a.fingerprint,
    })),
  };
}

export async function waitUntil<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function runsOf(stateDir: string, filter: (r: RunSummary) => boolean = () => true): RunSummary[] {
  return listRuns(stateDir).filter(filter);
}

export function journal(stateDir: string, runId: string): JournalEntry[] {
  return readJournal(stateDir, runId);
}

export function metric(text: string, line: RegExp): number {
  const m = text.split("\n").find((l) => line.test(l));
  return m ? Number(m.split(" ").at(-1)) : 0;
}

/** `pct unlock 100` on pve1 hangs once: a run stays in its step until the service is stopped. */
export async function hangUnlockOnce(cli: Cli): Promise<void> {
  const fault = [
    "lab",
    "fault",
    "add",
    "--node",
    "pve1",
    "--match",
    "pct unlock 100",
    "--action",
    "hang",
    "--times",
    "1",
  ];
  expect((await cli.pvefix(fault)).code).toBe(0);
}
