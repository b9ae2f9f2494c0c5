/**
 * Progress listeners. On a terminal: listr2 spinners, one task per phase and step. Elsewhere
 * (pipes, CI, JSON output): plain lines on stderr, no spinners. Both are EngineListeners; the
 * engine knows neither.
 */
import { Listr } from "listr2";
import { type CommandResult, type EngineListener, redact, type Step, type StreamEvent } from "../index.js";
import { escapeTerminal } from "../views/escape-terminal.js";

export interface Progress extends EngineListener {
  /** Resolves once any running spinner has finished drawing (call before prompting). */
  idle(): Promise<void>;
}

/** A command as the operator may see it: a `--password x` in it is redacted, like everywhere else. */
function shown(result: CommandResult): string {
  return escapeTerminal(redact(result.command));
}

function commandLine(result: CommandResult, expected = false): string {
  const status = result.timedOut
    ? "timed out"
    : result.connectionLost
      ? "connection lost"
      : result.exitCode === 0
        ? "✔"
        : expected
          ? `· exit ${result.exitCode}, as expected`
          : `✖ exit ${result.exitCode}`;
  return `[${result.node}] $ ${shown(result)}  ${status} (${Math.round(result.durationMs)} ms)`;
}

/** Plain lines on stderr: steps always, every command with --verbose. */
export function lineProgress(options: { verbose: boolean; write?: (line: string) => void }): Progress {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    idle: async () => {},
    onCommand: ({ phase, result, expected }) => {
      // Lock bookkeeping is not the run's work: the journal and `-o jsonl` have it.
      if (phase === "lock") return;
      // An expected non-zero exit is not news, nor a check's read (its ✔/✖ line says the verdict):
      // shown with --verbose only, and never as a failure.
      if (options.verbose || (phase !== "probe" && phase !== "verify" && result.failed && !expected))
        write(`  ${phase}: ${commandLine(result, expected)}`);
    },
    onStepStart: (step, index, plan) =>
      write(`→ [${index + 1}/${plan.steps.length}] ${step.title} (on ${step.node})`),
    onStepEnd: (step, status, error) =>
      write(
        `  ${status === "done" ? "✔" : "✖"} ${step.id}: ${status}${error ? ` — ${error.split("\n")[0]}` : ""}`,
      ),
    onCheck: (check, ok, detail) => write(`  ${ok ? "✔" : "✖"} check: ${check.description}: ${detail}`),
    onUndoStart: (step: Step) => write(`↩ undo ${step.id} (on ${step.node})`),
    onUndoEnd: (step, ok, error) =>
      write(`  ${ok ? "✔" : "✖"} undo ${step.id}${error ? ` — ${error.split("\n")[0]}` : ""}`),
  };
}

interface Pending {
  done: (error?: Error) => void;
  output: (text: string) => void;
  finished: Promise<unknown>;
}

/**
 * listr2 spinners driven by engine events; each phase or step is its own short Listr run. The runs
 * never overlap: two live renderers on a sized terminal swallowed every later line, and output set
 * on a finished task threw into the engine (a postcondition then failed and the run rolled back).
 */
export function listrProgress(options: { verbose: boolean }): Progress {
  let current: Pending | undefined;
  const begin = (title: string) => {
    let done!: (error?: Error) => void;
    let output: (text: string) => void = () => {};
    const running = new Promise<void>((resolve, reject) => {
      done = (error) => (error ? reject(error) : resolve());
    });
    // Handled by the task once it starts; until then a failure must not count as unhandled.
    running.catch(() => {});
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx, task) => {
            output = (text) => {
              task.output = text;
            };
            await running;
          },
        },
      ],
      { exitOnError: false, rendererOptions: { collapseErrors: false } },
    );
    const previous = current?.finished ?? Promise.resolve();
    current = {
      done: (e) => done(e),
      output: (t) => output(t),
      finished: previous.then(() => list.run()).catch(() => {}),
    };
  };
  const end = (error?: string) => {
    if (!current) return;
    current.output = () => {};
    current.done(error ? new Error(error.split("\n")[0]) : undefined);
  };
  return {
    idle: async () => {
      await current?.finished;
    },
    onProbeStart: ({ runbook }) => begin(`Probing the cluster (${runbook})`),
    onProbeEnd: ({ ok }) => end(ok ? undefined : "probes found a reason to refuse"),
    onCommand: ({ phase, result, expected }) =>
      phase !== "lock" &&
      current?.output(
        options.verbose ? commandLine(result, expected) : `[${result.node}] $ ${shown(result)}`,
      ),
    onStepStart: (step, index, plan) =>
      begin(`[${index + 1}/${plan.steps.length}] ${step.title} (on ${step.node})`),
    onStepEnd: (_step, status, error) => end(status === "done" ? undefined : (error ?? status)),
    onUndoStart: (step) => begin(`Undo ${step.id} (on ${step.node})`),
    onUndoEnd: (_step, ok, error) => end(ok ? undefined : (error ?? "undo failed")),
  };
}

/**
 * `-o jsonl`: every event on stdout as it happens, one JSON object a line (`type`, `time`, then
 * the event's fields, secrets redacted as in the journal). The result document follows last.
 */
export function jsonlStream(
  write: (line: string) => void = (line) => process.stdout.write(line),
): EngineListener {
  return {
    onEvent: (event: StreamEvent) => {
      const { type, time, ...fields } = event;
      write(`${JSON.stringify({ type, time, ...fields })}\n`);
    },
  };
}
