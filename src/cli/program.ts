/**
 * The commander program: declarations only. Each action normalises its options, lazily imports
 * its command module and calls it; commands return the exit code.
 */
import { Command, Option } from "commander";
import { runbooks } from "../../runbooks/index.js";
import { EngineError } from "../engine/errors.js";
import { onTarget } from "../views/command-line.js";
import { diagnoseExitHelp } from "./exit-codes.js";
import { formatList } from "./format-list.js";
import { fromReportHelp } from "./from-report-help.js";
import { normalizeGlobals } from "./global-options.js";
import { addRunbookFlags, rawParams } from "./runbook-flags.js";

export type Exit = (code: number) => void;

export function buildProgram(version: string, setExit: Exit): Command {
  const program = new Command("pvefix")
    .description("Guarded, reversible remediation runbooks for Proxmox VE clusters")
    .version(version)
    .option(
      "-i, --inventory <file>",
      "inventory of the cluster: pvefix YAML or an Ansible inventory, INI or YAML (default on a Proxmox VE node: the node's own cluster); diagnose takes several",
      (file: string, before: string[] | undefined) => [...(before ?? []), file],
    )
    .option("--group <name>", "with an Ansible -i: the group that is the cluster (as ansible -l NAME)")
    .option("--lab", "work on the embedded lab cluster (state in --state-dir)")
    .option(
      "--state-dir <dir>",
      "journal, locks and lab state (default: $PVEFIX_STATE_DIR or $XDG_STATE_HOME/pvefix)",
    )
    .addOption(
      new Option("-o, --output <format>", "output format (jsonl: events as they happen, then the result)")
        .choices(["text", "md", "json", "jsonl"])
        .default("text"),
    )
    .option("--no-color", "no colors in text output")
    .option("-v, --verbose", "show every remote command as it runs")
    .option(
      "--accept-new-host-keys",
      "trust and record host keys seen for the first time (changed keys are always refused)",
    )
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();

  const globals = (cmd: Command) => normalizeGlobals(cmd.optsWithGlobals());
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      try {
        setExit(await fn(...args));
      } catch (error) {
        throw await withTargetHints(error, args.at(-1));
      }
    };

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
    .option(
      "--from <path...>",
      "offline: read pvereports and folders of captured outputs instead of the cluster (see below)",
    )
    .option(
      "--inventory-dir <dir>",
      "also sweep every cluster whose inventory (pvefix YAML or Ansible) is a file in DIR, as -i given several times does: one report, a part per cluster",
    )
    .option("--concurrency <n>", "with several clusters: how many are swept at once (default 4)")
    .addHelpText("after", `\n${diagnoseExitHelp()}\n\n${fromReportHelp()}`)
    .action(
      act(async (o: { from?: string[]; inventoryDir?: string; concurrency?: string }, cmd: Command) =>
        (await import("./commands/diagnose.js")).runDiagnose(globals(cmd), o),
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
      .option("--save <file>", "save the plan as JSON for `pvefix apply` (secrets redacted)")
      .option(
        "--from <path...>",
        "offline: plan from pvereports and captured outputs (as diagnose --from); for review only, apply refuses it",
      )
      .action(
        act(async (o: Record<string, unknown>, cmd: Command) =>
          (await import("./commands/plan.js")).runPlan(globals(cmd), {
            runbook: runbook.meta.id,
            rawParams: rawParams(runbook, o),
            ...(typeof o.save === "string" ? { save: o.save } : {}),
            ...(Array.isArray(o.from) ? { from: o.from as string[] } : {}),
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
    .description(
      "apply a saved plan: pvefix probes again, builds the plan again from its parameters, and runs that only if it is identical to the file (the file is a record, never the source of commands)",
    )
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
    .summary(
      "undo, from its journal, every change of a run still in place: re-checked now, asked at the run's gates",
    )
    .description(
      [
        "Undo, from its journal, every change of a run that is still in place, last step first. The run is named by its id, a unique prefix of it, or `last` (the latest run with something left to undo). The undo is a plan of its own, made on the cluster as it is now:",
        "",
        "- it probes again and runs the runbook's guards for each step it undoes (not-quorate-config: the split-brain guard before `pvecm expected` or `pmxcfs -l`, and quorum before writing /etc/pve); an undo that would now be unsafe is refused with the reason (exit 3);",
        "- it compares every file it would restore with the sha256 the run left there; a file someone changed since is shown as a diff and asked about (yes/no), and `--unattended` refuses (exit 3, naming node, file, expected and found sha256);",
        "- it asks at the gates of the forward run (guarded: yes/no; dangerous: type the node name); `--unattended` undoes only when every undo step is safe, else exit 4 with the plan.",
        "",
        "`--plan` prints that undo plan (`-o text|md|json`) and changes nothing: no journal, no lock, only reads. Exit 3 when a guard refuses, else 0.",
        "",
        "The run is marked undone only when every step was put back: after a failed, declined or interrupted undo, run the same `pvefix undo <run-id>` again; it undoes only what is still in place.",
      ].join("\n"),
    )
    .option("--plan", "only show the undo plan (what runs, its gates, files changed since): changes nothing")
    .option(
      "--unattended",
      "no questions: undo only if every undo step is safe, else stop with exit 4 and the plan",
    )
    .option(
      "--database <url>",
      "undo a run of any `pvefix serve` worker, read from PostgreSQL (else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .addHelpText("after", "\nExample:\n  pvefix undo 20261123T103500Z-stuck-lock-1a2b --plan -o md")
    .action(
      act(
        async (ref: string, o: { plan?: boolean; unattended?: boolean; database?: string }, cmd: Command) => {
          const options = { plan: o.plan === true, unattended: o.unattended === true };
          const { databaseUrl } = await import("../serve/store/choose.js");
          const url = databaseUrl(o.database);
          if (url)
            return (await import("./commands/fleet-runs.js")).runFleetUndo(globals(cmd), ref, url, options);
          const { globalsForRun, resolveUndoRunId } = await import("./run-ref.js");
          const given = globals(cmd);
          const id = resolveUndoRunId(given.stateDir, ref, (line) => process.stderr.write(line));
          return (await import("./commands/run.js")).runUndo(globalsForRun(given, id), id, options);
        },
      ),
    );

  const serve = program
    .command("serve")
    .description(
      "the unattended service: Alertmanager webhooks and run requests over HTTP, rules, policy across runs, approvals, metrics (docs/unattended.md)",
    )
    .option("--rules <file>", "rules YAML: alerts → runbooks, sweeps, policy, approvals, notifications")
    .option(
      "--inventory-dir <dir>",
      "serve every cluster whose inventory (pvefix YAML or Ansible) is a file in DIR, instead of the one -i or --lab names",
    )
    .option("--check-rules <file>", "only check a rules file: print each problem with the path of its field")
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:9797")
    .option("--tls-cert <file>", "serve HTTPS with this certificate (PEM); with --tls-key")
    .option("--tls-key <file>", "the certificate's private key (PEM)")
    .option("--trust-proxy", "behind a reverse proxy: the client address comes from X-Forwarded-For")
    .option("--body-limit <bytes>", "largest request body", "1048576")
    .option("--rate-limit <n>", "requests per minute per token (or per address)", "600")
    .option(
      "--session-key-file <file>",
      "sign the approval page's sessions with this key (32 bytes or more; the same file on every worker behind one address); default: a random key per process",
    )
    .option(
      "--database <url>",
      "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .option("--heartbeat <duration>", "with --database: how often this worker beats its heartbeat row", "5s")
    .option(
      "--takeover-after <duration>",
      "with --database: a run whose worker has not beaten for this long is taken over by another worker",
      "30s",
    )
    .action(
      act(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
        const m = await import("./commands/serve.js");
        if (typeof o.checkRules === "string") return m.runCheckRules(o.checkRules);
        return m.runServe(globals(cmd), {
          ...(typeof o.rules === "string" ? { rules: o.rules } : {}),
          ...(typeof o.inventoryDir === "string" ? { inventoryDir: o.inventoryDir } : {}),
          listen: String(o.listen),
          ...(typeof o.tlsCert === "string" ? { tlsCert: o.tlsCert } : {}),
          ...(typeof o.tlsKey === "string" ? { tlsKey: o.tlsKey } : {}),
          trustProxy: o.trustProxy === true,
          bodyLimit: String(o.bodyLimit),
          rateLimit: String(o.rateLimit),
          ...(typeof o.sessionKeyFile === "string" ? { sessionKeyFile: o.sessionKeyFile } : {}),
          ...(typeof o.database === "string" ? { database: o.database } : {}),
          heartbeat: String(o.heartbeat),
          takeoverAfter: String(o.takeoverAfter),
        });
      }),
    );
  // `serve` has --database too, and commander gives a flag to the first command that knows it.
  const tokenDatabase = (o: { database?: string }, cmd: Command): string | undefined =>
    o.database ?? (cmd.optsWithGlobals() as { database?: string }).database;
  const token = serve
    .command("token")
    .description("bearer tokens of the service (stored hashed in the state directory)");
  token
    .command("add <name>")
    .description("add a token for a person or system; printed once")
    .requiredOption("--role <role>", "viewer | requester | approver | admin")
    .option(
      "--database <url>",
      "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (name: string, o: { role: string; database?: string }, cmd: Command) =>
        (await import("./commands/serve.js")).runTokenAdd(globals(cmd), name, o.role, tokenDatabase(o, cmd)),
      ),
    );
  token
    .command("remove <name>")
    .description("remove a token (effective for the next request)")
    .option(
      "--database <url>",
      "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (name: string, o: { database?: string }, cmd: Command) =>
        (await import("./commands/serve.js")).runTokenRemove(globals(cmd), name, tokenDatabase(o, cmd)),
      ),
    );
  token
    .command("list")
    .description("token names and roles")
    .option(
      "--database <url>",
      "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (o: { database?: string }, cmd: Command) =>
        (await import("./commands/serve.js")).runTokenList(globals(cmd), tokenDatabase(o, cmd)),
      ),
    );

  program
    .command("pause")
    .description(
      "stop `pvefix serve` from starting new remediations, on one cluster or all (at once, for the next run)",
    )
    .option("--cluster <name>", "only this cluster")
    .option("--reason <text>", "why, shown with every refused run")
    .option(
      "--database <url>",
      "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (o: { cluster?: string; reason?: string; database?: string }, cmd: Command) =>
        (await import("./commands/serve.js")).runPause(globals(cmd), o),
      ),
    );
  program
    .command("resume")
    .description(
      "undo `pvefix pause` (and a storm pause); without --cluster, every cluster and the global pause",
    )
    .option("--cluster <name>", "only this cluster")
    .option(
      "--database <url>",
      "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (o: { cluster?: string; database?: string }, cmd: Command) =>
        (await import("./commands/serve.js")).runResume(globals(cmd), o),
      ),
    );
  program
    .command("approvals [id]")
    .description("approval requests of `pvefix serve`; with an id, the request and its plan")
    .option(
      "--database <url>",
      "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (id: string | undefined, o: { database?: string }, cmd: Command) =>
        (await import("./commands/serve.js")).runApprovals(globals(cmd), id, o.database),
      ),
    );
  for (const verdict of ["approve", "deny"] as const) {
    program
      .command(`${verdict} <id>`)
      .description(
        verdict === "approve"
          ? "approve a plan waiting in `pvefix serve` (not your own request; dangerous steps need --confirm with their node names)"
          : "deny a plan waiting in `pvefix serve`: it will not run",
      )
      .option("--confirm <nodes>", "the node names of the plan's dangerous steps, comma-separated")
      .option(
        "--database <url>",
        "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
      )
      .action(
        act(async (id: string, o: { confirm?: string; database?: string }, cmd: Command) =>
          (await import("./commands/serve.js")).runDecide(globals(cmd), id, verdict, o),
        ),
      );
  }

  program
    .command("db")
    .description("the PostgreSQL database of `pvefix serve` workers (docs/fleet.md)")
    .command("migrate")
    .description("apply the schema migrations not yet applied, each once, in order, in a transaction")
    .option(
      "--database <url>",
      "PostgreSQL shared by serve workers (postgres://…; else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (o: { database?: string }) => (await import("./commands/db.js")).runDbMigrate(o.database)),
    );

  program
    .command("runs")
    .description("list runs from the journal, latest last")
    .option("--limit <n>", "only the last N runs (0: all)", "20")
    .option("--runbook <id>", "only runs of this runbook")
    .option(
      "--database <url>",
      "the runs of every `pvefix serve` worker, from PostgreSQL (else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (o: { limit: string; runbook?: string; database?: string }, cmd: Command) => {
        const { databaseUrl } = await import("../serve/store/choose.js");
        const url = databaseUrl(o.database);
        if (url) return (await import("./commands/fleet-runs.js")).runFleetRuns(globals(cmd), o, url);
        return (await import("./commands/journal.js")).runRuns(globals(cmd), o);
      }),
    );

  program
    .command("show <run-id>")
    .description(
      "what a run did: facts, plan, gates, backups, every command with its output, outcome (run id, unique prefix or `last`)",
    )
    .option(
      "--database <url>",
      "a run of any `pvefix serve` worker, from PostgreSQL (else PVEFIX_DATABASE_URL; else the state dir)",
    )
    .action(
      act(async (ref: string, o: { database?: string }, cmd: Command) => {
        const { databaseUrl } = await import("../serve/store/choose.js");
        const url = databaseUrl(o.database);
        if (url) return (await import("./commands/fleet-runs.js")).runFleetShow(globals(cmd), ref, url);
        const { resolveRunId } = await import("./run-ref.js");
        const given = globals(cmd);
        return (await import("./commands/journal.js")).runShow(given, resolveRunId(given.stateDir, ref));
      }),
    );

  program
    .command("inventory")
    .description(
      "print the inventory of the cluster as an inventory file for -i: found on this Proxmox VE node (no -i), converted from -i (an Ansible inventory too), or the lab's",
    )
    .addHelpText(
      "after",
      "\nExample, on a PVE node:\n  pvefix inventory > cluster.yaml   # then, from anywhere: pvefix diagnose -i cluster.yaml",
    )
    .action(
      act(async (_o: unknown, cmd: Command) =>
        (await import("./commands/inventory.js")).runInventory(globals(cmd)),
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

  program
    .command("completion <shell>")
    .description("print the shell completion script: bash, zsh or fish (see `pvefix help completion`)")
    .addHelpText(
      "after",
      "\nExamples:\n  source <(pvefix completion bash)     # in ~/.bashrc\n  pvefix completion fish > ~/.config/fish/completions/pvefix.fish",
    )
    .action(
      act(async (shell: string) => (await import("./commands/completion.js")).runCompletionScript(shell)),
    );
  // What the completion script calls on every Tab (COMP_LINE, COMP_POINT and SHELL in the environment).
  program
    .command("completion-server [words...]", { hidden: true })
    .allowUnknownOption()
    .allowExcessArguments()
    .action(act(async () => (await import("./commands/completion.js")).runCompletionServer(program)));
  program.helpCommand(false);
  program
    .command("help [topic...]")
    .description("a page of the reference, a command's help or a runbook's page; without a topic, the list")
    .action(
      act(async (topic: string[]) => (await import("./commands/help.js")).runHelp(program, topic ?? [])),
    );
  return program;
}

/**
 * The `pvefix …` commands an error's hint suggests (`inspect it with \`pvefix show …\``) point
 * at the same cluster and state directory as the command that failed, so they work when pasted.
 */
async function withTargetHints(error: unknown, cmd: unknown): Promise<unknown> {
  if (!(error instanceof EngineError) || !error.detail || !(cmd instanceof Command)) return error;
  let target: string;
  try {
    const { targetFlags } = await import("./target.js");
    target = targetFlags(normalizeGlobals(cmd.optsWithGlobals()));
  } catch {
    return error;
  }
  const detail = error.detail.replace(/`(pvefix [^`]+)`/g, (_m, c: string) => `\`${onTarget(c, target)}\``);
  if (detail === error.detail) return error;
  const copy = new EngineError(error.code, error.message, detail, { cause: error.cause });
  return Object.assign(copy, error, { detail, hint: detail });
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
    .command("report")
    .description("print what `pvereport` would print on a lab node (Report.pm's commands and layout)")
    .requiredOption("--node <name>", "the lab node whose report to print")
    .addHelpText(
      "after",
      "\nExample:\n  pvefix lab report --node pve1 > pve1.txt && pvefix diagnose --from pve1.txt",
    )
    .action(
      act(async (o: { node: string }, cmd: Command) => (await labCmd()).runLabReport(globals(cmd), o.node)),
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
