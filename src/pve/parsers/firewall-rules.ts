/**
 * Rules that drop or reject corosync's UDP ports (5405–5412: knet links use 5405 unless
 * `mcastport` says otherwise; PVE's firewall docs name the whole range), from `nft list ruleset`
 * (nftables doc/nft.txt statement syntax: `udp dport 5405 drop`, `udp dport 5405-5412 drop`,
 * `udp dport { 5405, 5406 } reject`, `th dport …`, with `iifname "ring0"` or `ip saddr 10.10.10.0/24`
 * selectors) and from `iptables-save` (`-A INPUT -i ring0 -p udp -m udp --dport 5405 -j DROP`,
 * `--dport 5405:5412`, `-m multiport --dports 5404,5405`). Pure; a rule that only accepts is ignored.
 */
import { z } from "zod";

export const COROSYNC_PORTS = { from: 5405, to: 5412 } as const;

export const DropRule = z.object({
  source: z.enum(["nft", "iptables"]),
  /** `inet filter input`, `filter INPUT`. */
  chain: z.string(),
  rule: z.string(),
  /** Interfaces the rule is limited to (`iifname`/`oifname`, `-i`/`-o`); empty = any. */
  interfaces: z.array(z.string()),
  /** Addresses or networks the rule is limited to; empty = any. */
  addresses: z.array(z.string()),
});
export type DropRule = z.infer<typeof DropRule>;

function ports(spec: string): Array<[number, number]> {
  return spec
    .replace(/[{}]/g, " ")
    .split(/[\s,]+/)
    .filter(Boolean)
    .flatMap((p): Array<[number, number]> => {
      const m = /^(\d+)(?:[-:](\d+))?$/.exec(p);
      return m ? [[Number(m[1]), Number(m[2] ?? m[1])]] : [];
    });
}

const hitsCorosync = (spec: string) =>
  ports(spec).some(([lo, hi]) => lo <= COROSYNC_PORTS.to && hi >= COROSYNC_PORTS.from);

const quoted = (rule: string, key: RegExp) => [...rule.matchAll(key)].map((m) => m[1]!);

export function nftCorosyncDrops(ruleset: string): DropRule[] {
  const out: DropRule[] = [];
  let table = "";
  let chain = "";
  for (const raw of ruleset.split("\n")) {
    const line = raw.trim();
    const t = /^table (\S+ \S+) \{$/.exec(line);
    if (t) table = t[1]!;
    const c = /^chain (\S+) \{$/.exec(line);
    if (c) chain = c[1]!;
    if (!/\b(drop|reject)\b/.test(line) || /^type /.test(line)) continue;
    const spec = /\b(?:udp|th) dport (\{[^}]*\}|\S+)/.exec(line);
    const udp = /\budp\b|l4proto udp/.test(line);
    if (!spec || !udp || !hitsCorosync(spec[1]!)) continue;
    out.push({
      source: "nft",
      chain: `${table} ${chain}`.trim(),
      rule: line,
      interfaces: quoted(line, /\b[io]ifname "?([^"\s]+)"?/g),
      addresses: quoted(line, /\bip6? [sd]addr (?:\{ )?([0-9a-fA-F.:/]+)/g),
    });
  }
  return out;
}

export function iptablesCorosyncDrops(save: string): DropRule[] {
  const out: DropRule[] = [];
  let table = "";
  for (const raw of save.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("*")) table = line.slice(1);
    const a = /^-A (\S+) (.*)$/.exec(line);
    if (!a || !/ -j (DROP|REJECT)\b/.test(line) || !/-p udp\b/.test(line)) continue;
    const spec = /--dports? (\S+)/.exec(line);
    if (!spec || !hitsCorosync(spec[1]!)) continue;
    out.push({
      source: "iptables",
      chain: `${table} ${a[1]}`.trim(),
      rule: line,
      interfaces: quoted(line, / -[io] (\S+)/g),
      addresses: quoted(line, / -[sd] (\S+)/g),
    });
  }
  return out;
}
