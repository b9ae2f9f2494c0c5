/** rename(2) inside the simulated filesystem; across pmxcfs and local disk it is copy + unlink, like mv. */
import { pmxcfsQuorate } from "../model/pmxcfs.js";
import { FsError } from "./errors.js";
import type { NodeFs } from "./node-fs.js";
import { dirnameOf, normalizePath } from "./paths.js";

/** Move a file (or a directory within one filesystem) the way rename(2) + mv's copy fallback would. */
export function renamePath(fs: NodeFs, from: string, to: string): void {
  const src = normalizePath(from);
  const dst = normalizePath(to);
  const srcLoc = fs.locate(src);
  const dstLoc = fs.locate(dst);
  const kind = fs.kind(src);
  if (kind === null) throw new FsError("ENOENT", src);
  if (fs.kind(dirnameOf(dst)) !== "dir") throw new FsError("ENOENT", dst);
  const quorate = pmxcfsQuorate(fs.state, fs.node);
  if ((srcLoc.kind === "pve" || dstLoc.kind === "pve") && !quorate) throw new FsError("EACCES", dst);
  if (kind === "file") {
    if (fs.kind(dst) === "dir") throw new FsError("EISDIR", dst);
    const content = fs.read(src);
    fs.write(dst, content, { append: false });
    fs.unlink(src);
    return;
  }
  if (srcLoc.kind === "pve" && dstLoc.kind === "pve") {
    renamePrefix(fs.state.pve, fs.state.pveDirs, srcLoc.rel, dstLoc.rel);
  } else if (srcLoc.kind === "local" && dstLoc.kind === "local") {
    renamePrefix(fs.node.files, fs.node.dirs, srcLoc.path, dstLoc.path);
  } else {
    throw new FsError("EPERM", dst);
  }
}

function renamePrefix(files: Record<string, string>, dirs: string[], from: string, to: string): void {
  const move = (p: string) => (p === from ? to : p.startsWith(`${from}/`) ? to + p.slice(from.length) : p);
  for (const key of Object.keys(files)) {
    const next = move(key);
    if (next !== key) {
      files[next] = files[key] ?? "";
      delete files[key];
    }
  }
  const moved = dirs.map(move);
  if (!moved.includes(to)) moved.push(to);
  dirs.splice(0, dirs.length, ...moved);
}
