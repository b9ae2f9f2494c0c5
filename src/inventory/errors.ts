/** The one error of the inventory layer: which file, and every problem in it with its field or line. */
import { EXIT } from "../errors/exit-codes.js";
import { PvefixError } from "../errors/pvefix-error.js";

export class InventoryError extends PvefixError {
  override readonly name = "InventoryError";
  readonly code = "PVEFIX_BAD_INVENTORY";
  constructor(
    /** The file (or source such as `discovered from pve1`) the problem is in. */
    readonly source: string,
    /** One line per problem, each starting with the field path. */
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problems.length === 1 ? problems[0] : `\n  ${problems.join("\n  ")}`}`, {
      exitCode: EXIT.badInput,
      cause: options?.cause,
    });
  }
}
