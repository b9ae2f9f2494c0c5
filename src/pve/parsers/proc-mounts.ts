/** `/proc/mounts` (or `/proc/self/mounts`): what is mounted where, read without touching the mounts. */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";

export const Mount = z.object({
  source: z.string(),
  mountpoint: z.string(),
  fstype: z.string(),
  /** Options as the kernel printed them (`rw,relatime,vers=4.2,hard`). */
  options: z.string(),
  optionList: z.array(z.string()),
});
export type Mount = z.infer<typeof Mount>;

/** The kernel escapes space, tab, newline and backslash in paths as `\040`, `\011`, `\012`, `\134`. */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseProcMounts(text: string): Mount[] {
  const mounts: Mount[] = [];
  splitLines(text).forEach((line, index) => {
    if (line.trim() === "") return;
    const fields = line.trim().split(/\s+/);
    // The kernel prints absolute mount points (`show_vfsmnt`); anything else is not a mounts line.
    if (fields.length < 4 || !(fields[1] as string).startsWith("/")) {
      throw new ParseError(
        "proc-mounts",
        `expected 'source mountpoint fstype options ...', got '${line}'`,
        index + 1,
      );
    }
    const [source, mountpoint, fstype, options] = fields as [string, string, string, string];
    mounts.push({
      source: unescapeOctal(source),
      mountpoint: unescapeOctal(mountpoint),
      fstype: unescapeOctal(fstype),
      options,
      optionList: options.split(","),
    });
  });
  return mounts;
}

function normalise(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/** The mount visible at `mountpoint`: the last matching line, because later mounts stack on top. */
export function findMount(mounts: readonly Mount[], mountpoint: string): Mount | null {
  const wanted = normalise(mountpoint);
  for (let i = mounts.length - 1; i >= 0; i--) {
    const mount = mounts[i] as Mount;
    if (normalise(mount.mountpoint) === wanted) return mount;
  }
  return null;
}

export const procMountsFormat: ParserFormat<Mount[]> = {
  name: "proc-mounts",
  description: "/proc/mounts: source, mount point, filesystem type and options of every mount",
  schema: z.array(Mount),
  parse: parseProcMounts,
};
