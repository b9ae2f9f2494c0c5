/**
 * "This node stopped answering" as runbooks ask it. A probe that loses its node throws the
 * transport's error; runbooks sit above the probes and never import the transport, so they ask
 * here instead of naming TransportError.
 */
import { TransportError } from "../../transport/errors.js";

/** The node could not be reached or was lost mid-probe (refused, timed out, host key, auth, closed). */
export function isNodeUnreachable(error: unknown): error is Error & { node: string } {
  return error instanceof TransportError;
}
