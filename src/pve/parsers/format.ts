/**
 * Parsers turn Proxmox/corosync text into zod-validated objects. They are pure functions:
 * no I/O, no clock, no globals. Every parser accepts all format variants listed in
 * proxmox-facts.md (old and new versions), not only the sample at hand.
 */
import type { z } from "zod";
import { EXIT } from "../../errors/exit-codes.js";
import { PvefixError } from "../../errors/pvefix-error.js";

export class ParseError extends PvefixError {
  override readonly name = "ParseError";
  readonly code = "PVEFIX_PARSE_ERROR";
  constructor(
    readonly format: string,
    message: string,
    /** 1-based line number of the offending input line, when known. */
    readonly line?: number,
  ) {
    super(line === undefined ? `${format}: ${message}` : `${format}: line ${line}: ${message}`, {
      exitCode: EXIT.badInput,
    });
  }

  override describe(): string {
    return `✖ ${this.message}`;
  }
}

/** A format reachable through `pvefix parse <name>`. */
export interface ParserFormat<T = unknown> {
  /** kebab-case, e.g. `pvecm-status`. */
  name: string;
  /** One line: which command or file this reads. */
  description: string;
  schema: z.ZodType<T>;
  parse(text: string): T;
}
