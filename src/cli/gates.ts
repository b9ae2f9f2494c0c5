/**
 * Interactive gates (inquirer). Warnings come before the question; a guarded step asks yes/no,
 * a dangerous one asks for the node name; an irreversible one says "There is no undo."
 */
import inquirer from "inquirer";
import type { Gate, Step } from "../index.js";
import { escapeTerminal } from "../views/escape-terminal.js";
import { renderGateText } from "../views/gate.js";
import type { Progress } from "./progress.js";

/**
 * `signal`: a SIGINT (`kill -INT`) cancels the question waiting, which then counts as a no.
 * `onInterrupt`: Ctrl-C typed at the question (the terminal is in raw mode, so no signal is
 * sent) is reported there, so both stop the run the same way.
 */
export function interactiveGate(
  progress: Progress,
  color: boolean,
  signal?: AbortSignal,
  onInterrupt?: () => void,
): Gate {
  // Questions go where the gate text goes: stdout may be a file or a pipe (`-o json > result.json`).
  const prompt = inquirer.createPromptModule({ output: process.stderr, ...(signal ? { signal } : {}) });
  return async (request) => {
    await progress.idle();
    if (signal?.aborted) return { approved: false, answer: "interrupted before the question" };
    if (!process.stdin.isTTY)
      return { approved: false, answer: "no terminal to ask on (use --unattended or a terminal)" };
    process.stderr.write(`\n${renderGateText(request, { color })}\n`);
    try {
      if (request.confirm === "node-name") {
        const node = request.step.node;
        const batch = request.batch ?? [request.step];
        // Many dangerous steps in a row on one node (--with-ha): one typed answer may cover them all.
        if (batch.length > 1) process.stderr.write(`\n${batchText(request.index, batch)}\n`);
        const { answer } = await prompt<{ answer: string }>([
          {
            type: "input",
            name: "answer",
            message:
              batch.length > 1
                ? `Type ${node} to run this step, or "${node} all" to run all ${batch.length} steps listed (anything else stops):`
                : `Type ${node} to continue (anything else stops):`,
          },
        ]);
        const typed = answer.trim().replace(/\s+/g, " ");
        const all = batch.length > 1 && typed === `${node} all`;
        return {
          approved: typed === node || all,
          answer: typed || "(empty)",
          ...(all ? { batch: true } : {}),
        };
      }
      const { approved } = await prompt<{ approved: boolean }>([
        {
          type: "confirm",
          name: "approved",
          message: `Run step ${request.index + 1} of ${request.plan.steps.length} on ${request.step.node} (${escapeTerminal(request.step.title)})?`,
          default: false,
        },
      ]);
      return { approved, answer: approved ? "yes" : "no" };
    } catch {
      // Ctrl-C at the prompt (a key on the terminal or SIGINT): the operator stopped; nothing more runs.
      if (!signal?.aborted) onInterrupt?.();
      return { approved: false, answer: "interrupted at the prompt" };
    }
  };
}

/** Unattended: nothing that needs a human is approved. */
export const unattendedGate: Gate = async (request) => ({
  approved: false,
  answer: `unattended: step ${request.step.id} is ${request.step.risk}`,
});

/** The steps a `<node> all` answer approves, each by number and title. */
function batchText(index: number, batch: readonly Step[]): string {
  const lines = batch.map((s, i) => `  ${index + i + 1}. ${s.title}`);
  return [
    `"${batch[0]!.node} all" approves these ${batch.length} steps on ${batch[0]!.node}:`,
    ...lines,
  ].join("\n");
}
