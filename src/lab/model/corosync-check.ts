/**
 * Why corosync would refuse to start with a config (coroparse.c / votequorum.c messages), so a
 * broken /etc/corosync/corosync.conf leaves the unit `failed` like on a real node.
 */
import { readCorosyncConf } from "./corosync-conf.js";

export function corosyncConfError(text: string, nodeName: string): string | null {
  let depth = 0;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "");
    for (const c of line) {
      if (c === "{") depth++;
      if (c === "}") depth--;
      if (depth < 0) return "parser error: Unexpected closing brace";
    }
  }
  if (depth > 0) return "parser error: Missing closing brace";
  const conf = readCorosyncConf(text);
  if (conf.nodes.length === 0)
    return "configuration error: nodelist or quorum.expected_votes must be configured!";
  if (!conf.nodes.some((n) => n.name === nodeName)) return "This node is not in the nodelist";
  return null;
}
