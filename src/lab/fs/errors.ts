/** errno-style failures of the simulated filesystem; commands turn them into their own messages. */
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

export class FsError extends Error {
  override readonly name = "FsError";
  constructor(
    readonly errno: FsErrno,
    readonly path: string,
  ) {
    super(`${path}: ${ERRNO_TEXT[errno]}`);
  }

  get text(): string {
    return ERRNO_TEXT[this.errno];
  }
}

/**
 * Thrown by any access to a hung mount: the command never returns. The shell turns it into the
 * "hang" outcome; only `timeout` (or the transport's own timeout) gets control back.
 */
export class LabHang extends Error {
  override readonly name = "LabHang";
  constructor(readonly path: string) {
    super(`blocked on ${path}`);
  }
}
