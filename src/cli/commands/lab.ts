/** `pvefix lab …`: the embedded simulated cluster (reset, scenarios, exec, serve, faults). */
import * as fs from "node:fs";
import {
  addFault,
  clearFaults,
  labExec,
  listFaults,
  listScenarios,
  resetLab,
  serveLab,
} from "../../lab/index.js";
import { GlobalOptionError, type GlobalOptions } from "../global-options.js";
import { print } from "./shared.js";

export async function runLabReset(globals: GlobalOptions, scenario: string, quiet: boolean): Promise<number> {
  const known = listScenarios().map((s) => s.name);
  if (!known.includes(scenario)) {
    throw new GlobalOptionError(
      `✖ Unknown scenario \`${scenario}\`: expected one of ${known.join(", ")}\n  → at --scenario`,
    );
  }
  await resetLab({ stateDir: globals.stateDir, scenario });
  if (!quiet) process.stderr.write(`Lab reset to scenario ${scenario} in ${globals.stateDir}\n`);
  return 0;
}

export async function runLabScenarios(globals: GlobalOptions): Promise<number> {
  const scenarios = listScenarios();
  const width = Math.max(...scenarios.map((s) => s.name.length));
  print(
    globals.output === "json"
      ? JSON.stringify({ scenarios }, null, 2)
      : scenarios.map((s) => `${s.name.padEnd(width)}  ${s.description}`).join("\n"),
  );
  return 0;
}

export async function runLabExec(globals: GlobalOptions, node: string, command: string[]): Promise<number> {
  if (command.length === 0)
    throw new GlobalOptionError("✖ Missing command: pvefix lab exec NODE -- COMMAND…");
  const stdin = process.stdin.isTTY ? undefined : fs.readFileSync(0);
  const result = await labExec({
    stateDir: globals.stateDir,
    node,
    command: command.join(" "),
    ...(stdin && stdin.length > 0 ? { stdin } : {}),
  });
  if (result === "hang") {
    process.stderr.write("(the lab command hangs: an injected fault or a hung mount)\n");
    return 124;
  }
  if (result === "drop") {
    process.stderr.write("(the lab dropped the connection: an injected fault)\n");
    return 255;
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exitCode;
}

export async function runLabServe(globals: GlobalOptions): Promise<number> {
  const served = await serveLab({ stateDir: globals.stateDir });
  print(fs.readFileSync(served.inventoryPath, "utf8"));
  process.stderr.write(
    `Lab served over SSH on ${served.nodes.map((n) => `${n.name}=127.0.0.1:${n.port}`).join(", ")}\n` +
      `Use it with: pvefix -i ${served.inventoryPath} diagnose   (Ctrl-C stops the lab server)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await served.close();
  return 0;
}

export interface FaultOptions {
  node?: string;
  match: string;
  action: "fail" | "hang" | "drop";
  exitCode?: string;
  stderr?: string;
  times?: string;
  after?: boolean;
}

export async function runLabFault(
  globals: GlobalOptions,
  sub: "add" | "list" | "clear",
  o?: FaultOptions,
): Promise<number> {
  if (sub === "clear") {
    await clearFaults(globals.stateDir);
    return 0;
  }
  if (sub === "list") {
    print(JSON.stringify(await listFaults(globals.stateDir), null, 2));
    return 0;
  }
  if (!o) return 2;
  const times = o.times === undefined ? null : Number(o.times);
  if (times !== null && (!Number.isInteger(times) || times < 1)) {
    throw new GlobalOptionError(
      `✖ Expected --times to be a whole number ≥ 1, got ${JSON.stringify(o.times)}\n  → at --times`,
    );
  }
  await addFault(globals.stateDir, {
    node: o.node ?? null,
    match: o.match,
    action: o.action,
    ...(o.exitCode !== undefined ? { exitCode: Number(o.exitCode) } : {}),
    ...(o.stderr !== undefined ? { stderr: o.stderr } : {}),
    ...(o.after ? { after: true } : {}),
    times,
  });
  return 0;
}

/** `pvefix lab report --node N`: the pvereport of a lab node, for drills and `diagnose --from`. */
export async function runLabReport(globals: GlobalOptions, node: string): Promise<number> {
  const { labExists, resetLab } = await import("../../lab/index.js");
  const { labPveReport } = await import("../../lab/report.js");
  // As every lab command: a first use sets up the default scenario instead of failing.
  if (!labExists(globals.stateDir)) await resetLab({ stateDir: globals.stateDir, scenario: "default" });
  process.stdout.write(await labPveReport({ stateDir: globals.stateDir, node }));
  return 0;
}
