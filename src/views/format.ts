/**
 * Output formats, keyed by the `-o` value. Every view is a map from format to a pure renderer,
 * so a new format is a new key the compiler asks for in every view.
 */
import { z } from "zod";

export const OutputFormat = z.enum(["text", "md", "json"]);
export type OutputFormat = z.infer<typeof OutputFormat>;

export const ViewOptions = z.object({
  /** Style text output with ANSI colors (`node:util` styleText). Never affects md or json. */
  color: z.boolean(),
  /**
   * The flags that point a printed `pvefix …` command at the same cluster (`--lab`,
   * `-i cluster.yaml`), so the next command works when pasted as it is. @default ""
   */
  target: z.string().optional(),
  /** The flags that point a printed command at the same state directory (`--state-dir DIR`). @default "" */
  state: z.string().optional(),
});
export type ViewOptions = z.infer<typeof ViewOptions>;

export const NO_COLOR: ViewOptions = { color: false };

/** One renderer per output format: the shape every view follows. */
export type ViewMap<T> = { [F in OutputFormat]: (value: T, opts: ViewOptions) => string };

/** Pretty JSON, the same indentation in every view. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
