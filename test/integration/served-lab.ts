/**
 * Test bed of the fault matrix and the runbook tests: the lab served over real SSH on loopback,
 * an SshTransport built from the inventory `serveLab` writes, and small readers for what the
 * tests assert on: the journal, the lab's own state, and file hashes taken on the node itself.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { Gate, GateRequest } from "../../src/engine/apply.js";
import type { EngineListener } from "../../src/engine/events.js";
import { type JournalEntry, listRuns, readJournal } from "../../src/engine/journal.js";
import type { AnyRunbook } from "../../src/engine/runbook.js";
import { type ClusterTarget, type RunResult, runRunbook } from "../../src/engine/session.js";
import { loadInventory } from "../../src/inventory/load.js";
import {
  type LabServer,
  type LabState,
  labExec,
  loadLab,
  resetLab,
  serveLab,
  updateLab,
} from "../../src/lab/index.js";
import { sh } from "../../src/shell/quote.js";
import { SshTransport } from "../../src/transport/ssh/index.js";

export const approve: Gate = async () => ({ approved: true, answer: "yes" });

/** Every gate request, recorded in `seen` and answered as `answer` says (the node name for a dangerous step). */
export function answerGates(answer: (r: GateRequest) => boolean, seen: GateRequest[] = []): Gate {
  return async (request) => {
    seen.push(request);
    const approved = answer(request);
    return {
      approved,
      answer: approved ? (request.confirm === "node-name" ? request.step.node : "yes") : "no",
    };
  };
}

export interface ServedCluster {
  /** Where the lab (state, keys, inventory, known_hosts) lives. */
  labDir: string;
  server: LabServer;
  /** pvefix's own state directory (journals, locks) for the current test. */
  stateDir: string;
  transport: SshTransport;
  /** Another client of the same served lab (the caller closes it). */
  newTransport(): SshTransport;
  nodes: string[];
  cluster: string;
  /** The current transport, nodes and cluster, for the engine's entry points. */
  target(): ClusterTarget;
  /** A fresh scenario, a fresh state directory and a fresh transport, for the next test. */
  reset(scenario: string): Promise<void>;
  /** Stop serving and serve the same lab again (new ports, keys as they are on disk now). */
  reserve(): Promise<void>;
  /** runRunbook against the served lab through real SSH. */
  run(options: {
    runbook: AnyRunbook;
    params: Record<string, unknown>;
    gate?: Gate;
    listener?: EngineListener;
    stateDir?: string;
    mode?: "interactive" | "unattended";
    signal?: AbortSignal;
  }): Promise<RunResult>;
  close(): Promise<void>;
}

/**
 * One served lab for a test file: started before the first test, reset to `scenario` before
 * each, closed after the last. `use` receives it once it is up.
 */
export function serveForEachTest(scenario: string, use: (bed: ServedCluster) => void): void {
  let bed: ServedCluster | undefined;
  beforeAll(async () => {
    bed = await serveCluster(scenario);
    use(bed);
  });
  afterAll(async () => {
    await bed?.close();
  });
  beforeEach(async () => {
    await bed?.reset(scenario);
  });
}

export async function serveCluster(scenario: string): Promise<ServedCluster> {
  const labDir = mkdtempSync(join(tmpdir(), "pvefix-faults-lab-"));
  await resetLab({ stateDir: labDir, scenario });
  let server = await serveLab({ stateDir: labDir });
  let inventory = loadInventory(server.inventoryPath);
  const transportFor = () => new SshTransport({ inventory, sshConfigPath: null, agentSocket: null });
  const stateDirs: string[] = [];
  const freshStateDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "pvefix-faults-state-"));
    stateDirs.push(dir);
    return dir;
  };
  const bed: ServedCluster = {
    labDir,
    server,
    stateDir: freshStateDir(),
    transport: transportFor(),
    newTransport: transportFor,
    nodes: inventory.nodes.map((n) => n.name),
    cluster: inventory.cluster,
    target: () => ({ transport: bed.transport, nodes: bed.nodes, cluster: bed.cluster }),
    async reset(next) {
      await bed.transport.close();
      await resetLab({ stateDir: labDir, scenario: next });
      bed.stateDir = freshStateDir();
      bed.transport = transportFor();
    },
    async reserve() {
      await bed.transport.close();
      await server.close();
      server = await serveLab({ stateDir: labDir });
      inventory = loadInventory(server.inventoryPath);
      bed.server = server;
      bed.transport = transportFor();
    },
    run(options) {
      return runRunbook({
        ...bed.target(),
        runbook: options.runbook,
        rawParams: options.params,
        stateDir: options.stateDir ?? bed.stateDir,
        mode: options.mode ?? "interactive",
        gate: options.gate ?? approve,
        ...(options.listener ? { listener: options.listener } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    },
    async close() {
      await bed.transport.close();
      await server.close();
      for (const dir of [labDir, ...stateDirs]) rmSync(dir, { recursive: true, force: true });
    },
  };
  return bed;
}

/** Run a command on a lab node directly (not through pvefix): the test's own view of the node. */
export async function nodeResult(
  labDir: string,
  node: string,
  command: string,
  stdin?: string,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await labExec({
    stateDir: labDir,
    node,
    command,
    ...(stdin === undefined ? {} : { stdin }),
  });
  if (typeof result === "string") throw new Error(`${command} on ${node}: ${result}`);
  return result;
}

/** nodeResult's stdout; a non-zero exit throws. */
export async function onNode(labDir: string, node: string, command: string): Promise<string> {
  const result = await nodeResult(labDir, node, command);
  if (result.exitCode !== 0) throw new Error(`${command} on ${node}: ${result.stderr}`);
  return result.stdout;
}

/** sha256 of a file as the node computes it (`sha256sum`). */
export async function sha256OnNode(labDir: string, node: string, path: string): Promise<string> {
  return (await onNode(labDir, node, sh`sha256sum ${path}`)).split(" ")[0] ?? "";
}

export function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Every command the lab has executed so far (the lab clock advances by one per command). */
export async function labClock(labDir: string): Promise<number> {
  return (await loadLab(labDir)).clock;
}

export function mountOn(state: LabState, node: string, mountpoint: string) {
  return state.nodes.find((n) => n.name === node)?.mounts.find((m) => m.mountpoint === mountpoint);
}

/** Make an existing mount hang too (a second node losing its NFS server), for two-step plans. */
export async function hangMount(labDir: string, node: string, mountpoint: string): Promise<void> {
  await updateLab(labDir, (state) => {
    const mount = mountOn(state, node, mountpoint);
    if (!mount) throw new Error(`no ${mountpoint} on ${node}`);
    mount.hung = true;
  });
}

export function journal(stateDir: string, runId: string | null): JournalEntry[] {
  if (!runId) throw new Error("the run has no id");
  return readJournal(stateDir, runId);
}

type CommandEntry = Extract<JournalEntry, { type: "command" }>;

/** Command entries of one run, optionally only those whose command line contains `text`. */
export function commands(entries: JournalEntry[], text = ""): CommandEntry[] {
  return entries.filter((e): e is CommandEntry => e.type === "command" && e.result.command.includes(text));
}

/** Every command journaled by every run in a state directory, oldest run first. */
export function allCommands(stateDir: string): CommandEntry[] {
  // Run ids only sort by the second they started in; the run-start entry has milliseconds.
  return listRuns(stateDir)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .flatMap((run) => commands(readJournal(stateDir, run.runId)));
}

/** Commands a step (or its undo) sent to `node` whose line contains `text`, across every run. */
export function mutations(stateDir: string, node: string, text: string, phase: "step" | "undo" = "step") {
  return allCommands(stateDir)
    .filter((e) => e.phase === phase && e.result.node === node && e.result.command.includes(text))
    .map((e) => e.result);
}

/** `type:stepId` of the step lifecycle entries, in order: what ran and what did not. */
export function stepTrail(entries: JournalEntry[]): string[] {
  return entries.flatMap((e) => {
    switch (e.type) {
      case "gate":
        return [`gate:${e.stepId}:${e.approved ? "approved" : "declined"}`];
      case "step-start":
        return [`start:${e.stepId}`];
      case "step-end":
        return [`end:${e.stepId}:${e.status}`];
      case "undo-start":
        return [`undo:${e.stepId}`];
      case "undo-end":
        return [`undo-end:${e.stepId}:${e.ok ? "ok" : "failed"}`];
      case "run-end":
        return [`run-end:${e.outcome}:${e.exitCode}`];
      default:
        return [];
    }
  });
}
