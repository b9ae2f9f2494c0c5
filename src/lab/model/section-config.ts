/**
 * PVE's SectionConfig text (ha/*.cfg, replication.cfg): `type: id` headers, one tab-indented
 * `key value` line per property, an empty line after every section (the last one too). The writer
 * orders keys like PVE: `comment`, a bare `disable`, the type's required keys sorted, then the
 * optional ones sorted.
 * (Independent of src/pve/parsers on purpose: the lab is what those parsers are tested against.)
 */

export interface LabSection {
  type: string;
  id: string;
  props: Record<string, string>;
}

export function readSections(text: string | undefined): LabSection[] {
  const sections: LabSection[] = [];
  let current: LabSection | null = null;
  for (const line of (text ?? "").split("\n")) {
    if (line.startsWith("#")) continue;
    if (line === "") {
      current = null;
      continue;
    }
    const header = /^(\S+):\s*(\S+)\s*$/.exec(line);
    if (header && !/^\s/.test(line)) {
      current = { type: header[1] ?? "", id: header[2] ?? "", props: {} };
      sections.push(current);
      continue;
    }
    const prop = /^\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (prop && current) current.props[prop[1] ?? ""] = (prop[2] ?? "1").trim();
  }
  return sections;
}

/** @param required the keys the section type cannot omit (sorted before the optional ones). */
export function writeSections(sections: LabSection[], required: Record<string, string[]> = {}): string {
  return sections
    .map((section) => {
      const must = new Set(required[section.type] ?? []);
      const keys = Object.keys(section.props).filter((k) => k !== "comment" && k !== "disable");
      const disabled = section.props.disable !== undefined && section.props.disable !== "0";
      const first = [
        ...(section.props.comment === undefined ? [] : ["comment"]),
        ...(disabled ? ["disable"] : []),
      ];
      const ordered = [
        ...first,
        ...keys.filter((k) => must.has(k)).sort(),
        ...keys.filter((k) => !must.has(k)).sort(),
      ];
      const line = (k: string) => (k === "disable" ? "\tdisable\n" : `\t${k} ${section.props[k]}\n`);
      return `${section.type}: ${section.id}\n${ordered.map(line).join("")}\n`;
    })
    .join("");
}

/** Required keys per section type, as PVE's plugins declare them. */
export const REQUIRED_KEYS: Record<string, string[]> = {
  group: ["nodes"],
  "node-affinity": ["nodes", "resources"],
  "resource-affinity": ["affinity", "resources"],
  local: ["target"],
};
