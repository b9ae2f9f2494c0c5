/**
 * ProxyJump values as OpenSSH accepts them: a comma list of hops, each `[user@]host[:port]`
 * or `ssh://[user@]host[:port]`, with IPv6 addresses in brackets. `none` means no jump.
 */

import { z } from "zod";
import { EXIT } from "../../errors/exit-codes.js";
import { PvefixError } from "../../errors/pvefix-error.js";

export const JumpHop = z.object({
  /** The hop as written, for messages. */
  text: z.string(),
  user: z.string().optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
});
export type JumpHop = z.infer<typeof JumpHop>;

export class JumpSpecError extends PvefixError {
  override readonly name = "JumpSpecError";
  readonly code = "PVEFIX_BAD_JUMP_HOST";
  constructor(message: string) {
    super(message, { exitCode: EXIT.failed, internal: true });
  }
}

function parseHop(text: string): JumpHop {
  const rest = text.startsWith("ssh://") ? text.slice("ssh://".length) : text;
  const at = rest.lastIndexOf("@");
  const user = at >= 0 ? rest.slice(0, at) : undefined;
  const hostPort = at >= 0 ? rest.slice(at + 1) : rest;
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(hostPort);
  const host = match?.[1];
  if (host === undefined || user === "") {
    throw new JumpSpecError(`Expected a jump host as [user@]host[:port], got \`${text}\``);
  }
  const port = match?.[2] === undefined ? undefined : Number(match[2]);
  const parsed = JumpHop.safeParse({ text, user, host, port });
  if (!parsed.success) throw new JumpSpecError(`Expected a port from 1 to 65535 in jump host \`${text}\``);
  return parsed.data;
}

/** Hops in connection order (first hop is contacted directly). */
export function parseJumpSpec(spec: string | undefined): JumpHop[] {
  const trimmed = spec?.trim() ?? "";
  if (trimmed === "" || trimmed.toLowerCase() === "none") return [];
  return trimmed.split(",").map((hop) => parseHop(hop.trim()));
}
