/** The metadata of a runbook that exists only in a test: the engine reads its id, risk and eligibility. */
import type { RunbookMeta } from "../../src/engine/runbook.js";

export function testMeta(
  id: string,
  risk: RunbookMeta["risk"],
  unattended: RunbookMeta["unattended"],
): RunbookMeta {
  return {
    id,
    summary: id,
    description: id,
    risk,
    unattended,
    undo: "full",
    checks: [],
    asks: [],
    changes: [],
    undoes: [],
    refuses: {},
  };
}
