/**
 * corosync.conf with a knet link added or removed, written in PVE's own layout (`write_conf`: sorted
 * keys and sections) with a given config_version, and PVE's rules for links checked on the result.
 * Pure.
 */
import {
  type ConfSection,
  parseCorosyncConf,
  serializeCorosyncConf,
  verifyCorosyncConf,
} from "../parsers/corosync-conf.js";
import { ParseError } from "../parsers/format.js";

const clone = (tree: ConfSection): ConfSection => structuredClone(tree);

function totemOf(tree: ConfSection): ConfSection {
  const totem = tree.sections.totem?.[0];
  if (!totem) throw new ParseError("corosync-conf", "no totem section");
  return totem;
}

const linkOf = (s: ConfSection) => Number(s.props.linknumber ?? s.props.ringnumber ?? "0");

/**
 * `ring<link>_addr` for every node and an `interface { linknumber: <link> }` block (with
 * knet_link_priority when given). A file without interface blocks gets one for every link it
 * already has too: PVE then wants one per link.
 */
export function withLink(
  text: string,
  link: number,
  addrs: Readonly<Record<string, string>>,
  priority: number | null,
  version: number,
): string {
  const conf = parseCorosyncConf(text);
  const tree = clone(conf.tree);
  for (const node of tree.sections.nodelist?.[0]?.sections.node ?? []) {
    const name = node.props.name ?? "";
    const addr = addrs[name];
    if (addr === undefined)
      throw new ParseError("corosync-conf", `no address for node '${name}' on link ${link}`);
    node.props[`ring${link}_addr`] = addr;
  }
  const totem = totemOf(tree);
  const blocks = totem.sections.interface ?? [];
  const existing = [...new Set(conf.nodes.flatMap((n) => Object.keys(n.rings).map(Number)))];
  if (blocks.length === 0)
    for (const l of existing) blocks.push({ props: { linknumber: String(l) }, sections: {} });
  blocks.push({
    props: {
      linknumber: String(link),
      ...(priority === null ? {} : { knet_link_priority: String(priority) }),
    },
    sections: {},
  });
  totem.sections.interface = blocks;
  totem.props.config_version = String(version);
  return serializeCorosyncConf(tree);
}

/** Without `ring<link>_addr` on any node and without that link's interface block. */
export function withoutLink(text: string, link: number, version: number): string {
  const tree = clone(parseCorosyncConf(text).tree);
  for (const node of tree.sections.nodelist?.[0]?.sections.node ?? []) delete node.props[`ring${link}_addr`];
  const totem = totemOf(tree);
  const blocks = (totem.sections.interface ?? []).filter((b) => linkOf(b) !== link);
  if (blocks.length > 0) totem.sections.interface = blocks;
  else delete totem.sections.interface;
  totem.props.config_version = String(version);
  return serializeCorosyncConf(tree);
}

/** The same file in PVE's layout with another config_version (what an undo writes back). */
export function atVersion(text: string, version: number): string {
  const tree = clone(parseCorosyncConf(text).tree);
  totemOf(tree).props.config_version = String(version);
  return serializeCorosyncConf(tree);
}

/**
 * Why corosync or PVE would reject `text` as the result of a link change: the parser, PVE's
 * `verify_conf` (every node has every link, unique addresses), link numbers 0–7, exactly the
 * expected links, and the version. Empty when usable.
 */
export function linkConfProblems(text: string, links: readonly number[], version: number): string[] {
  try {
    const conf = parseCorosyncConf(text);
    const problems = verifyCorosyncConf(conf);
    for (const node of conf.tree.sections.nodelist?.[0]?.sections.node ?? [])
      for (const key of Object.keys(node.props))
        if (/^ring\d+_addr$/.test(key) && !/^ring[0-7]_addr$/.test(key))
          problems.push(`${key} of node '${node.props.name}': knet has links 0 to 7 only`);
    for (const i of conf.interfaces)
      if (i.linknumber > 7) problems.push(`interface linknumber ${i.linknumber}: knet has links 0 to 7 only`);
    const has = [...new Set(conf.nodes.flatMap((n) => Object.keys(n.rings).map(Number)))].sort();
    if (has.join(",") !== [...links].sort().join(","))
      problems.push(`links ${has.join(", ")}, expected ${[...links].sort().join(", ")}`);
    if (conf.configVersion !== version)
      problems.push(`config_version ${conf.configVersion}, expected ${version}`);
    return problems;
  } catch (error) {
    if (error instanceof ParseError) return [error.message];
    throw error;
  }
}
