/** `pvefix help [topic]`: a page of the reference, a command's help or a runbook's page; the list of topics without one. */
import type { Command } from "commander";
import { GlobalOptionError } from "../global-options.js";
import { helpTopics } from "../help-topics.js";
import { print } from "./shared.js";

export async function runHelp(program: Command, words: readonly string[]): Promise<number> {
  const topics = helpTopics(program);
  const wanted = words.join(" ").trim();
  if (wanted === "") {
    const width = Math.max(...topics.map((t) => t.name.length));
    print(
      [
        "Usage: pvefix help <topic>   (pvefix <command> --help is the same as pvefix help <command>)",
        "",
        "Topics:",
        ...topics.map((t) => `  ${t.name.padEnd(width)}  ${t.summary}`),
      ].join("\n"),
    );
    return 0;
  }
  const topic = topics.find((t) => t.name === wanted);
  if (!topic) {
    const close = topics.filter((t) => t.name.startsWith(words[0] ?? "")).map((t) => t.name);
    throw new GlobalOptionError(
      `✖ No help topic \`${wanted}\`: expected one of ${(close.length > 0 ? close : topics.map((t) => t.name)).join(", ")}\n  → \`pvefix help\` lists them`,
    );
  }
  print(topic.render());
  return 0;
}
