/** errno-style failures of the simulated filesystem; commands turn them into their own messages. */
import { EXIT } from "../../errors/exit-codes.js";
import { PvefixError } from "../../errors/pvefix-error.js";

export type FsErrno = "ENOENT" | "EACCES" | "EISDIR" | "ENOTDIR" | "EEXIST" | "ENOTEMPTY" | "EPERM" | "EBUSY";

export const ERRNO_TEXT: Record<FsErrno, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  EEXIST: "File exists",
  ENOTEMPTY: "Directory not empty",
  EPERM: "Operation not permitted",
  EBUSY: "Device or resource busy",
};

/** Caught by the lab's commands, which print it as coreutils would. */
export class FsError extends PvefixError {
  override readonly name = "FsError";
  readonly code = "PVEFIX_LAB_FS";
  constructor(
    readonly errno: FsErrno,
    readonly path: string,
  ) {
    super(`${path}: ${ERRNO_TEXT[errno]}`, { exitCode: EXIT.failed, internal: true });
  }

  get text(): string {
    return ERRNO_TEXT[this.errno];
  }
}

/**
 * Thrown by any access to a hung mount: the command never returns. The shell turns it into the
 * "hang" outcome; only `timeout` (or the transport's own timeout) gets control back.
 */
export class LabHang extends PvefixError {
  override readonly name = "LabHang";
  readonly code = "PVEFIX_LAB_HANG";
  constructor(readonly path: string) {
    super(`blocked on ${path}`, { exitCode: EXIT.failed, internal: true });
  }
}
