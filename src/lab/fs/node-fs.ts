/**
 * One node's view of the filesystem: /etc/pve is the shared pmxcfs while it is mounted (and
 * read-only without quorum: EACCES, never EROFS; a deadlocked pmxcfs blocks every access), /proc
 * is generated, a hung mount blocks every access below it, and everything else is the node's own files.
 */
import { syncCorosyncConf } from "../model/corosync-sync.js";
import {
  isVirtualPveFile,
  PVE_ROOT,
  pmxcfsMounted,
  pmxcfsQuorate,
  pveDirExists,
  resolvePveRel,
  virtualPveFile,
} from "../model/pmxcfs.js";
import type { LabMount, LabNode, LabState } from "../state.js";
import { changeMode, fileMode, fsTypeName } from "./attributes.js";
import { FsError, LabHang } from "./errors.js";
import { dirnameOf, isWithin, normalizePath } from "./paths.js";
import { procEntry } from "./proc-files.js";
import { renamePath } from "./rename.js";

const BASE_DIRS = [
  "/",
  "/etc",
  PVE_ROOT,
  "/dev",
  "/proc",
  "/run",
  "/tmp",
  "/root",
  "/var",
  "/mnt",
  "/mnt/pve",
  "/usr",
];

export type Location =
  | { kind: "pve"; rel: string; raw: string }
  | { kind: "proc"; path: string }
  | { kind: "null" }
  | { kind: "local"; path: string };

export type EntryKind = "file" | "dir";

export class NodeFs {
  constructor(
    readonly state: LabState,
    readonly node: LabNode,
  ) {}

  /** The mount a path lives on (last match wins, as the kernel stacks mounts). */
  mountOf(path: string): LabMount | null {
    const abs = normalizePath(path);
    let found: LabMount | null = null;
    for (const m of this.node.mounts) if (isWithin(abs, m.mountpoint)) found = m;
    return found;
  }

  /** Which filesystem a path belongs to (throws LabHang below a hung mount). */
  locate(path: string): Location {
    const abs = normalizePath(path);
    if (abs === "/dev/null") return { kind: "null" };
    if (isWithin(abs, "/proc")) return { kind: "proc", path: abs };
    if (isWithin(abs, PVE_ROOT) && pmxcfsMounted(this.node)) {
      if (this.node.pmxcfsHung) throw new LabHang(abs);
      const raw = abs.slice(PVE_ROOT.length + 1);
      return { kind: "pve", rel: resolvePveRel(this.node, raw), raw };
    }
    if (this.mountOf(abs)?.hung) throw new LabHang(abs);
    return { kind: "local", path: abs };
  }

  kind(path: string): EntryKind | null {
    const loc = this.locate(path);
    switch (loc.kind) {
      case "null":
        return "file";
      case "proc":
        return procEntry(this.node, loc.path)?.kind ?? null;
      case "pve":
        if (isVirtualPveFile(loc.rel) || loc.rel in this.state.pve) return "file";
        return pveDirExists(this.state, loc.rel) ? "dir" : null;
      case "local":
        if (loc.path in this.node.files) return "file";
        return this.localDirExists(loc.path) ? "dir" : null;
    }
  }

  read(path: string): string {
    const loc = this.locate(path);
    const abs = normalizePath(path);
    if (loc.kind === "null") return "";
    if (loc.kind === "proc") {
      const entry = procEntry(this.node, loc.path);
      if (!entry) throw new FsError("ENOENT", abs);
      if (entry.kind === "dir") throw new FsError("EISDIR", abs);
      return entry.content;
    }
    if (loc.kind === "pve") {
      const content = virtualPveFile(this.state, this.node, loc.rel) ?? this.state.pve[loc.rel];
      if (content !== undefined) return content;
      throw new FsError(pveDirExists(this.state, loc.rel) ? "EISDIR" : "ENOENT", abs);
    }
    const content = this.node.files[loc.path];
    if (content !== undefined) return content;
    throw new FsError(this.localDirExists(loc.path) ? "EISDIR" : "ENOENT", abs);
  }

  /** Create or truncate (`append: false`) or append to a file, as `open(O_CREAT)` + `write` would. */
  write(path: string, content: string, options: { append: boolean }): void {
    const loc = this.locate(path);
    const abs = normalizePath(path);
    if (loc.kind === "null") return;
    if (loc.kind === "proc") throw new FsError("EACCES", abs);
    if (this.kind(dirnameOf(abs)) !== "dir") throw new FsError("ENOENT", abs);
    if (this.kind(abs) === "dir") throw new FsError("EISDIR", abs);
    if (loc.kind === "pve") {
      if (isVirtualPveFile(loc.rel) || !pmxcfsQuorate(this.state, this.node))
        throw new FsError("EACCES", abs);
      this.state.pve[loc.rel] = (options.append ? (this.state.pve[loc.rel] ?? "") : "") + content;
      if (loc.rel === "corosync.conf") syncCorosyncConf(this.state, this.node);
      return;
    }
    this.node.files[loc.path] = (options.append ? (this.node.files[loc.path] ?? "") : "") + content;
  }

  unlink(path: string): void {
    const loc = this.locate(path);
    const abs = normalizePath(path);
    const kind = this.kind(abs);
    if (kind === null) throw new FsError("ENOENT", abs);
    if (kind === "dir") throw new FsError("EISDIR", abs);
    if (loc.kind === "proc" || loc.kind === "null") throw new FsError("EACCES", abs);
    if (loc.kind === "pve") {
      if (isVirtualPveFile(loc.rel) || !pmxcfsQuorate(this.state, this.node))
        throw new FsError("EACCES", abs);
      delete this.state.pve[loc.rel];
      return;
    }
    delete this.node.files[loc.path];
    delete this.node.modes[loc.path];
  }

  mkdir(path: string): void {
    const loc = this.locate(path);
    const abs = normalizePath(path);
    if (this.kind(abs) !== null) throw new FsError("EEXIST", abs);
    if (this.kind(dirnameOf(abs)) !== "dir") throw new FsError("ENOENT", abs);
    if (loc.kind === "proc" || loc.kind === "null") throw new FsError("EACCES", abs);
    if (loc.kind === "pve") {
      if (!pmxcfsQuorate(this.state, this.node)) throw new FsError("EACCES", abs);
      this.state.pveDirs.push(loc.rel);
      return;
    }
    this.node.dirs.push(loc.path);
  }

  rmdir(path: string): void {
    const loc = this.locate(path);
    const abs = normalizePath(path);
    const kind = this.kind(abs);
    if (kind === null) throw new FsError("ENOENT", abs);
    if (kind === "file") throw new FsError("ENOTDIR", abs);
    if (this.list(abs).length > 0) throw new FsError("ENOTEMPTY", abs);
    if (loc.kind === "pve") {
      if (!pmxcfsQuorate(this.state, this.node)) throw new FsError("EACCES", abs);
      this.state.pveDirs = this.state.pveDirs.filter((d) => d !== loc.rel);
      return;
    }
    if (
      loc.kind !== "local" ||
      BASE_DIRS.includes(loc.path) ||
      this.node.mounts.some((m) => m.mountpoint === abs)
    ) {
      throw new FsError("EBUSY", abs);
    }
    this.node.dirs = this.node.dirs.filter((d) => d !== loc.path);
  }

  /** Move a file (or a directory within one filesystem) the way rename(2) + mv's copy fallback would. */
  rename(from: string, to: string): void {
    renamePath(this, from, to);
  }

  /** Names directly inside a directory. */
  list(path: string): string[] {
    const loc = this.locate(path);
    const abs = normalizePath(path);
    const names = new Set<string>();
    const collect = (paths: Iterable<string>, base: string) => {
      const prefix = base === "" ? "" : `${base}/`;
      for (const p of paths) {
        if (p === base || !p.startsWith(prefix) || (base === "/" && p === "/")) continue;
        const first = p.slice(base === "/" ? 1 : prefix.length).split("/")[0];
        if (first) names.add(first);
      }
    };
    if (loc.kind === "pve") {
      collect([...Object.keys(this.state.pve), ...this.state.pveDirs], loc.rel);
      if (loc.raw === "" || loc.rel === "")
        for (const s of ["local", "lxc", "qemu-server", "openvz"]) names.add(s);
    } else if (loc.kind === "local") {
      collect([...Object.keys(this.node.files), ...this.node.dirs, ...BASE_DIRS], loc.path);
    } else if (this.kind(abs) !== "dir") {
      throw new FsError(this.kind(abs) === null ? "ENOENT" : "ENOTDIR", abs);
    }
    return [...names].sort();
  }

  /** Octal permission bits as `stat -c %a` prints them. */
  mode(path: string): string {
    return fileMode(this, path);
  }

  chmod(path: string, mode: string): void {
    changeMode(this, path, mode);
  }

  /** `stat -f -c %T`: the file system type name coreutils prints. */
  fsTypeName(path: string): string {
    return fsTypeName(this, path);
  }

  private localDirExists(path: string): boolean {
    if (BASE_DIRS.includes(path) || this.node.dirs.includes(path)) return true;
    if (this.node.mounts.some((m) => m.mountpoint === path)) return true;
    const prefix = `${path}/`;
    return (
      Object.keys(this.node.files).some((p) => p.startsWith(prefix)) ||
      this.node.dirs.some((d) => d.startsWith(prefix))
    );
  }
}
