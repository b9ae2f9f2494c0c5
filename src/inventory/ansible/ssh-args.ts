/**
 * The OpenSSH options Ansible users put in `ansible_ssh_common_args` / `ansible_ssh_extra_args`,
 * read for what pvefix's SSH transport can honour: the jump host (`-J`, `-o ProxyJump=…`, and
 * the classic `-o ProxyCommand="ssh -W %h:%p bastion"`), port, user, key, HostKeyAlias and
 * UserKnownHostsFile. Options that only tune a connection (ControlMaster, -q, …) are ignored.
 * Pure.
 */
import { shlexSplit } from "./ini.js";

export interface SshArgs {
  jump?: string;
  port?: number;
  user?: string;
  identity?: string;
  hostKeyAlias?: string;
  knownHosts?: string;
  /** Options pvefix does not follow, said once to the operator. */
  ignored: string[];
}

/** ssh(1) flags that take an argument: the argument is skipped with the flag. */
const FLAGS_WITH_ARG = new Set("BbcDEeFIiJLlmOoPpQRSWw".split(""));

/** `ssh [options] -W %h:%p [user@]host` as a ProxyCommand: the jump host it names, else null. */
function proxyCommandJump(command: string): string | null {
  const tokens = shlexSplit(command);
  if (tokens?.[0]?.replace(/^.*\//, "") !== "ssh") return null;
  let forwards = false;
  let port: string | undefined;
  let user: string | undefined;
  let host: string | undefined;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t.startsWith("-") && t.length >= 2) {
      const flag = t[1] as string;
      const inline = t.slice(2);
      const arg = FLAGS_WITH_ARG.has(flag) ? inline || tokens[++i] : undefined;
      if (flag === "W") forwards = arg === "%h:%p" || arg === "[%h]:%p";
      if (flag === "p") port = arg;
      if (flag === "l") user = arg;
      continue;
    }
    if (host !== undefined) return null; // a remote command: not a plain forwarder
    host = t;
  }
  if (!forwards || !host) return null;
  const withUser = user && !host.includes("@") ? `${user}@${host}` : host;
  return port ? `${withUser}:${port}` : withUser;
}

/** Read the options; a value pvefix cannot follow is an error message, never silently dropped. */
export function parseSshArgs(text: string): SshArgs | { error: string } {
  const tokens = shlexSplit(text);
  if (tokens === null) return { error: "a quote is not closed" };
  const out: SshArgs = { ignored: [] };
  const option = (raw: string): string | null => {
    const m = /^([A-Za-z]+)\s*(?:=|\s)\s*(.*)$/.exec(raw.trim());
    if (!m) return `cannot read the ssh option '${raw}' (expected -o Name=value)`;
    const name = (m[1] as string).toLowerCase();
    const value = m[2] as string;
    switch (name) {
      case "proxyjump":
        if (value.toLowerCase() !== "none") out.jump = value;
        return null;
      case "proxycommand": {
        if (value.toLowerCase() === "none") return null;
        const jump = proxyCommandJump(value);
        if (jump === null) {
          return `ProxyCommand '${value}' is not 'ssh -W %h:%p [user@]host': write the jump host as -o ProxyJump=[user@]host[:port]`;
        }
        out.jump = jump;
        return null;
      }
      case "port":
        out.port = Number(value);
        return null;
      case "user":
        out.user = value;
        return null;
      case "identityfile":
        out.identity = value;
        return null;
      case "hostkeyalias":
        out.hostKeyAlias = value;
        return null;
      case "userknownhostsfile":
        out.knownHosts = value.split(/\s+/)[0] ?? value;
        return null;
      case "stricthostkeychecking":
        if (!/^(yes|accept-new|ask)$/i.test(value)) {
          out.ignored.push(`StrictHostKeyChecking=${value} (pvefix always checks host keys)`);
        }
        return null;
      default:
        return null;
    }
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (!t.startsWith("-") || t.length < 2)
      return { error: `unexpected '${t}' (expected ssh options such as -o Name=value)` };
    const flag = t[1] as string;
    if (!FLAGS_WITH_ARG.has(flag)) continue; // -q, -A, -C, -T, -4 …: no argument, nothing to follow
    const arg = t.length > 2 ? t.slice(2) : tokens[++i];
    if (arg === undefined) return { error: `${t} needs a value` };
    let problem: string | null = null;
    if (flag === "o") problem = option(arg);
    else if (flag === "J") out.jump = arg;
    else if (flag === "p") out.port = Number(arg);
    else if (flag === "l") out.user = arg;
    else if (flag === "i") out.identity = arg;
    if (problem) return { error: problem };
  }
  if (out.port !== undefined && !Number.isInteger(out.port)) return { error: "the port is not a number" };
  return out;
}
