/** Modes and filesystem types as stat(1) reports them; pmxcfs fixes its modes and drops write bits without quorum. */
import { isPveSymlink, isVirtualPveFile, PVE_ROOT, pmxcfsMounted, pmxcfsQuorate } from "../model/pmxcfs.js";
import { FsError } from "./errors.js";
import type { NodeFs } from "./node-fs.js";
import { isWithin, normalizePath } from "./paths.js";

/** Octal permission bits as `stat -c %a` prints them. */
export function fileMode(fs: NodeFs, path: string): string {
  const loc = fs.locate(path);
  const abs = normalizePath(path);
  const kind = fs.kind(abs);
  if (kind === null) throw new FsError("ENOENT", abs);
  if (loc.kind === "pve") {
    const writable = pmxcfsQuorate(fs.state, fs.node);
    if (isVirtualPveFile(loc.rel)) return "440";
    if (isPveSymlink(loc.raw) || kind === "dir") {
      const priv = loc.rel === "priv" || loc.rel.startsWith("priv/");
      return priv ? (writable ? "700" : "500") : writable ? "755" : "555";
    }
    return writable ? "640" : "440";
  }
  if (loc.kind === "proc") return kind === "dir" ? "555" : "444";
  return fs.node.modes[abs] ?? (kind === "dir" ? "755" : "644");
}

export function changeMode(fs: NodeFs, path: string, mode: string): void {
  const loc = fs.locate(path);
  const abs = normalizePath(path);
  if (fs.kind(abs) === null) throw new FsError("ENOENT", abs);
  if (loc.kind === "pve") {
    // pmxcfs has fixed modes: it accepts chmod as a no-op, but only while writable.
    if (!pmxcfsQuorate(fs.state, fs.node)) throw new FsError("EACCES", abs);
    return;
  }
  if (loc.kind !== "local") throw new FsError("EPERM", abs);
  fs.node.modes[abs] = mode;
}

/** `stat -f -c %T`: the file system type name coreutils prints. */
export function fsTypeName(fs: NodeFs, path: string): string {
  const abs = normalizePath(path);
  if (fs.kind(abs) === null) throw new FsError("ENOENT", abs);
  if (isWithin(abs, "/proc")) return "proc";
  if (isWithin(abs, PVE_ROOT) && pmxcfsMounted(fs.node)) return "fuseblk";
  const mount = fs.mountOf(abs);
  if (mount) {
    if (mount.fstype.startsWith("nfs")) return "nfs";
    if (mount.fstype === "cifs") return "smb2";
    return mount.fstype;
  }
  if (isWithin(abs, "/run")) return "tmpfs";
  return "ext2/ext3";
}
