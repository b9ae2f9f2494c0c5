/**
 * The commander program: declarations only. Each action normalises its options, lazily imports
 * its command module and calls it; commands return the exit code.
 */
import { Command, Option } from "commander";
import { runbooks } from "../../runbooks/index.js";
import { formatList } from "./format-list.js";
import { normalizeGlobals } from "./global-options.js";
import { addRunbookFlags, rawParams } from "./runbook-flags.js";

export type Exit = (code: number) => void;

export function buildProgram(version: string, setExit: Exit): Command {
  const program = new Command("pvefix")
    .description("Guarded, reversible remediation runbooks for Proxmox VE clusters")
    .version(version)
    .option("-i, --inventory <file>", "inventory YAML of the cluster to work on")
    .option("--lab", "work on the embedded lab cluster (state in --state-dir)")
    .option(
      "--state-dir <dir>",
      "journal, locks and lab state (default: $PVEFIX_STATE_DIR or $XDG_STATE_HOME/pvefix)",
    )
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["text", "md", "json"]).default("text"),
    )
    .option("--no-color", "no colors in text output")
    .option("-v, --verbose", "show every remote command as it runs")
    .option(
      "--accept-new-host-keys",
      "trust and record host keys seen for the first time (changed keys are always refused)",
    )
    .showHelpAfterError()
    .exitOverride();

  const globals = (cmd: Command) => normalizeGlobals(cmd.optsWithGlobals());
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      setExit(await fn(...args));

  program
    .command("list")
    .description("runbooks, their risk and whether they may run unattended")
    .action(
      act(async (_o: unknown, cmd: Command) => (await import("./commands/catalog.js")).runList(globals(cmd))),
    );

  program
    .command("explain <runbook>")
    .description("what a runbook checks, asks, changes and how it undoes")
    .action(
      act(async (id: string, _o: unknown, cmd: Command) =>
        (await import("./commands/catalog.js")).runExplain(globals(cmd), id),
      ),
    );

  program
    .command("diagnose")
    .description("run every runbook's detector; findings with severity and the exact next command")
    .action(
      act(async (_o: unknown, cmd: Command) =>
        (await import("./commands/diagnose.js")).runDiagnose(globals(cmd)),
      ),
    );

  const plan = program
    .command("plan")
    .description("dry run: exactly what would run where and why; changes nothing")
    .addHelpText("after", "\nExample:\n  pvefix plan stuck-lock --vmid 100 --lab -o md --save plan.json");
  const run = program
    .command("run")
    .description(
      "probe, plan and apply a runbook (interactive; --unattended runs only what is provably safe)",
    );
  for (const runbook of runbooks) {
    addRunbookFlags(plan.command(runbook.meta.id).description(runbook.meta.summary), runbook)
      .option("--save <file>", "save the plan as JSON for `pvefix apply`")
      .action(
        act(async (o: Record<string, unknown>, cmd: Command) =>
          (await import("./commands/plan.js")).runPlan(globals(cmd), {
            runbook: runbook.meta.id,
            rawParams: rawParams(runbook, o),
            ...(typeof o.save === "string" ? { save: o.save } : {}),
          }),
        ),
      );
    addRunbookFlags(run.command(runbook.meta.id).description(runbook.meta.summary), runbook)
      .option(
        "--unattended",
        "no questions: run only if every step is safe, else stop with exit 4 and the plan",
      )
      .action(
        act(async (o: Record<string, unknown>, cmd: Command) =>
          (await import("./commands/run.js")).runRun(globals(cmd), {
            runbook: runbook.meta.id,
            rawParams: rawParams(runbook, o),
            unattended: o.unattended === true,
          }),
        ),
      );
  }

  program
    .command("apply <file>")
    .description("apply a saved plan, only if the re-probed facts still match its fingerprint")
    .option("--unattended", "no questions: only if every step is safe")
    .action(
      act(async (file: string, o: { unattended?: boolean }, cmd: Command) =>
        (await import("./commands/run.js")).runApply(globals(cmd), {
          file,
          unattended: o.unattended === true,
        }),
      ),
    );

  program
    .command("undo <run-id>")
    .description("undo, from its journal, every change of a run that is still in place")
    .action(
      act(async (id: string, _o: unknown, cmd: Command) =>
        (await import("./commands/run.js")).runUndo(globals(cmd), id),
      ),
    );

  program
    .command("runs")
    .description("list runs from the journal")
    .action(
      act(async (_o: unknown, cmd: Command) => (await import("./commands/journal.js")).runRuns(globals(cmd))),
    );

  program
    .command("show <run-id>")
    .description("what a run did: facts, plan, gates, backups, every command with its output, outcome")
    .action(
      act(async (id: string, _o: unknown, cmd: Command) =>
        (await import("./commands/journal.js")).runShow(globals(cmd), id),
      ),
    );

  program
    .command("parse [format] [file]")
    .description(
      "parse pasted Proxmox output (file or - for stdin) into structured facts; `parse report FILE` reads a whole pvereport",
    )
    .option("--auto", "detect the format (the first argument is then the file) and say which")
    .option("--units <list>", "systemctl-is-active: the units the states belong to, comma-separated")
    .addHelpText(
      "after",
      () =>
        `\nFormats:\n${formatList()}\n  ${"report".padEnd(24)} a whole pvereport, each command's output read with its format` +
        "\n\nInput: a file or - (stdin), at most 16 MiB; stderr pasted with a table (2>&1) comes back as warnings.",
    )
    .action(
      act(
        async (
          format: string | undefined,
          file: string | undefined,
          o: { auto?: boolean; units?: string },
          cmd: Command,
        ) => (await import("./commands/parse.js")).runParse(globals(cmd), format, file, o),
      ),
    );

  addLabCommands(program, globals, act);
  return program;
}

type Act = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

function addLabCommands(
  program: Command,
  globals: (cmd: Command) => ReturnType<typeof normalizeGlobals>,
  act: Act,
): void {
  const lab = program
    .command("lab")
    .description("the embedded simulated cluster: a training ground and test bed");
  const labCmd = () => import("./commands/lab.js");
  lab
    .command("reset")
    .description("(re)create the lab cluster from a scenario")
    .option("--scenario <name>", "scenario name (see `pvefix lab scenarios`)", "default")
    .option("--quiet", "print nothing")
    .action(
      act(async (o: { scenario: string; quiet?: boolean }, cmd: Command) =>
        (await labCmd()).runLabReset(globals(cmd), o.scenario, o.quiet === true),
      ),
    );
  lab
    .command("scenarios")
    .description("list the lab scenarios")
    .action(act(async (_o: unknown, cmd: Command) => (await labCmd()).runLabScenarios(globals(cmd))));
  lab
    .command("exec <node> <command...>")
    .description("run a command on a lab node, as over SSH (put the command after --)")
    .action(
      act(async (node: string, command: string[], _o: unknown, cmd: Command) =>
        (await labCmd()).runLabExec(globals(cmd), node, command),
      ),
    );
  lab
    .command("serve")
    .description("serve the lab over real SSH on 127.0.0.1 and print an inventory for -i")
    .action(act(async (_o: unknown, cmd: Command) => (await labCmd()).runLabServe(globals(cmd))));
  const fault = lab.command("fault").description("inject faults into lab commands (for tests and drills)");
  fault
    .command("add")
    .description("make commands matching --match fail, hang or drop the connection")
    .requiredOption("--match <text>", "substring of the command line")
    .addOption(
      new Option("--action <action>", "what happens").choices(["fail", "hang", "drop"]).default("fail"),
    )
    .option("--node <node>", "only on this node")
    .option("--exit-code <n>", "exit code for fail", "1")
    .option("--stderr <text>", "stderr for fail")
    .option("--times <n>", "only the next N matches")
    .option("--after", "for drop: run the command, then drop the connection")
    .action(
      act(async (o: Record<string, string | boolean>, cmd: Command) =>
        (await labCmd()).runLabFault(globals(cmd), "add", o as never),
      ),
    );
  fault
    .command("list")
    .description("list injected faults")
    .action(act(async (_o: unknown, cmd: Command) => (await labCmd()).runLabFault(globals(cmd), "list")));
  fault
    .command("clear")
    .description("remove every injected fault")
    .action(act(async (_o: unknown, cmd: Command) => (await labCmd()).runLabFault(globals(cmd), "clear")));
}
