/** Reading and writing one guest's config the way qm / pct do (only on the owner node, temp file + rename). */
import { FsError } from "../fs/errors.js";
import { confRel, type GuestType } from "../model/guests.js";
import { allocatePid, type CommandContext, type CommandOutput, fail } from "./types.js";

export const PVE_DIE = 255;

export interface Loaded {
  vmid: number;
  rel: string;
  text: string;
}

export function load(
  ctx: CommandContext,
  type: GuestType,
  vmidArg: string | undefined,
): Loaded | CommandOutput {
  if (!vmidArg || !/^\d+$/.test(vmidArg)) {
    return fail(
      `400 Parameter verification failed.\nvmid: type check ('integer') failed - got '${vmidArg ?? ""}'`,
      PVE_DIE,
    );
  }
  const rel = confRel(ctx.node.name, type, vmidArg);
  try {
    return { vmid: Number(vmidArg), rel, text: ctx.fs.read(`/etc/pve/${rel}`) };
  } catch (error) {
    if (!(error instanceof FsError)) throw error;
    return fail(`Configuration file '${rel}' does not exist`, PVE_DIE);
  }
}

/** PVE::Tools::file_set_contents: write `<file>.tmp.<pid>`, then rename; EACCES names the temp file. */
export function writeConf(ctx: CommandContext, rel: string, text: string): CommandOutput | null {
  const pid = allocatePid(ctx.state);
  try {
    ctx.fs.write(`/etc/pve/${rel}`, text, { append: false });
    return null;
  } catch (error) {
    if (!(error instanceof FsError)) throw error;
    return fail(`unable to open file '/etc/pve/${rel}.tmp.${pid}' - ${error.text}`, PVE_DIE);
  }
}

export function isLoaded(value: Loaded | CommandOutput): value is Loaded {
  return "rel" in value;
}
