/**
 * PVE SectionConfig files (`storage.cfg`, `replication.cfg`, `ha/*.cfg`), read and written the
 * way `PVE::SectionConfig` does, so that a file PVE wrote comes back byte-identical.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";

export const Section = z.object({
  type: z.string().min(1),
  id: z.string().min(1),
  /** Raw property values in file order; a bare boolean key (`\tdisable`) reads as `"1"`. */
  props: z.record(z.string(), z.string()),
});
export type Section = z.infer<typeof Section>;

const HEADER = /^(\S+):\s*(\S+)\s*$/;
const PROPERTY = /^\s+(\S+)(?:\s+(.*\S))?\s*$/;

/**
 * Parse a SectionConfig file. Like PVE: `#` lines are ignored anywhere, a section ends only at a
 * completely empty line, and a whitespace-only line inside a section is skipped. Unlike PVE, lines
 * it would silently drop (a header glued to the previous section, an orphan property) are errors:
 * PVE ignores them, so what an operator sees in the file is not what the cluster uses.
 */
export function parseSectionConfig(text: string, format = "section-config"): Section[] {
  const sections: Section[] = [];
  let current: Section | null = null;
  splitLines(text).forEach((line, index) => {
    const lineNo = index + 1;
    if (/^\s*#/.test(line)) return;
    if (line === "") {
      current = null;
      return;
    }
    if (/^\s+$/.test(line)) return;
    if (current) {
      const prop = PROPERTY.exec(line);
      if (!prop) {
        throw new ParseError(
          format,
          `expected an indented 'key value' line in section '${current.type}: ${current.id}', got '${line}' ` +
            "(PVE ignores it; sections must be separated by an empty line)",
          lineNo,
        );
      }
      const key = prop[1] as string;
      if (Object.hasOwn(current.props, key)) {
        throw new ParseError(format, `duplicate property '${key}' in section '${current.id}'`, lineNo);
      }
      current.props[key] = prop[2] ?? "1";
      return;
    }
    const header = HEADER.exec(line);
    if (!header) {
      throw new ParseError(format, `expected a section header 'type: id', got '${line}'`, lineNo);
    }
    current = { type: header[1] as string, id: header[2] as string, props: {} };
    sections.push(current);
  });
  return sections;
}

/**
 * Write sections as PVE does: `type: id`, then `\tkey value` lines in the given order, each
 * section followed by an empty line (so the file ends with a blank line, exactly like
 * `SectionConfig::write_config`). `disable` set to `1` is written bare, as PVE writes it; empty
 * values are skipped, as PVE skips them.
 */
export function serializeSectionConfig(sections: readonly Section[]): string {
  return sections
    .map((section) => {
      assertWritable(`${section.type}: ${section.id}`, section.type + section.id);
      let out = `${section.type}: ${section.id}\n`;
      for (const [key, value] of Object.entries(section.props)) {
        assertWritable(key, key);
        assertWritable(key, value);
        if (value === "") continue;
        out += key === "disable" && value === "1" ? "\tdisable\n" : `\t${key} ${value}\n`;
      }
      return `${out}\n`;
    })
    .join("");
}

function assertWritable(what: string, value: string): void {
  if (/[\r\n]/.test(value))
    throw new RangeError(`SectionConfig value of '${what}' must not contain a line break`);
}

/**
 * Order properties the way PVE's writer does: `comment`, `disable`, the type's required keys
 * sorted, then every other key sorted. Typed serializers use it so new keys land where PVE
 * would put them.
 */
export function orderSectionProps(
  props: Readonly<Record<string, string>>,
  requiredKeys: readonly string[] = [],
): Record<string, string> {
  const keys = Object.keys(props);
  const first = ["comment", "disable"].filter((k) => keys.includes(k));
  const required = keys.filter((k) => requiredKeys.includes(k) && !first.includes(k)).sort();
  const rest = keys.filter((k) => !first.includes(k) && !required.includes(k)).sort();
  const ordered: Record<string, string> = {};
  for (const key of [...first, ...required, ...rest]) ordered[key] = props[key] as string;
  return ordered;
}

export const sectionConfigFormat: ParserFormat<Section[]> = {
  name: "section-config",
  description: "Any PVE SectionConfig file (storage.cfg, replication.cfg, ha/*.cfg) as raw sections",
  schema: z.array(Section),
  parse: (text) => parseSectionConfig(text),
};
