/**
 * The lab transport for tests that plan many scenarios: a command that never answers (a hung mount,
 * a powered-off node) gives up after HUNG_MS instead of its real timeout. Which decision a state
 * reaches does not depend on how long a hung command is waited for: the lab answers the same, sooner.
 */
import { LabTransport } from "../../src/lab/index.js";
import type { CommandResult, ExecOptions } from "../../src/transport/types.js";

export const HUNG_MS = 300;

export class QuickLab extends LabTransport {
  override exec(node: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    return super.exec(node, command, {
      ...options,
      timeoutMs: Math.min(options.timeoutMs ?? HUNG_MS, HUNG_MS),
    });
  }
}
