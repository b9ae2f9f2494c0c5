/**
 * What a ticket brings instead of a cluster: pvereports (one node's view each) and captured
 * outputs (one file per command). Read once, up front, into the outputs the report transport
 * answers from; nothing here runs or guesses anything.
 *
 * A captured file (docs/cli.md, "diagnose --from"):
 *
 *     # <command as it was run>
 *     # node: <name>          optional; default: the node of the pvereport given with it
 *     # exit: <code>          optional; without it the exit code is not known (as in a pvereport)
 *     <output>
 *     # stderr:               optional; what follows went to stderr
 *     <stderr>
 */
import { InputError } from "../engine/errors.js";
import { parseCorosyncConf } from "../pve/parsers/corosync-conf.js";
import { parsePvecmNodes } from "../pve/parsers/pvecm-nodes.js";
import { parsePvecmStatus } from "../pve/parsers/pvecm-status.js";
import { splitPveReport } from "../pve/parsers/pvereport.js";

export interface CapturedOutput {
  node: string;
  command: string;
  stdout: string;
  stderr: string;
  /** null: not recorded (a pvereport keeps no exit codes). */
  exitCode: number | null;
  /** `file:line` it was read from. */
  source: string;
}

/** One node's report: where it came from and when it was taken. */
export interface ReportOrigin {
  node: string;
  /** As the report printed it (`date -R`); null when it has no time. */
  time: string | null;
  files: string[];
}

export interface Captured {
  cluster: string;
  /** Every node the reports name (pvecm nodes, corosync.conf); only `origins` ones have outputs. */
  nodes: string[];
  origins: ReportOrigin[];
  outputs: CapturedOutput[];
}

export interface CapturedInput {
  /** The path as the operator gave it (for messages). */
  path: string;
  text: string;
  /** A file inside a folder given to --from: always a captured output. */
  inFolder: boolean;
}

const SECTION = /^==== .+ ====\s*$/m;

export function isPveReport(text: string): boolean {
  return SECTION.test(text);
}

function bad(path: string, message: string): never {
  throw new InputError([{ field: `--from ${path}`, message }]);
}

/** Read every input; a pvereport without `hostname` or a captured file without a node is refused. */
export function loadCaptured(inputs: readonly CapturedInput[]): Captured {
  const outputs: CapturedOutput[] = [];
  const origins: ReportOrigin[] = [];
  const named = new Set<string>();
  let cluster: string | null = null;
  const reports = inputs.filter((i) => !i.inFolder && isPveReport(i.text));
  for (const input of reports) {
    const sections = splitPveReport(input.text);
    const node = sections
      .find((s) => s.command === "hostname")
      ?.body.trim()
      .split("\n")[0];
    if (!node)
      bad(
        input.path,
        `${input.path} is a pvereport without a '# hostname' section: whose view it is is unknown`,
      );
    const time =
      sections
        .find((s) => s.command === "date -R")
        ?.body.trim()
        .split("\n")[0] || null;
    const origin = origins.find((o) => o.node === node);
    if (origin) origin.files.push(input.path);
    else origins.push({ node, time, files: [input.path] });
    named.add(node);
    for (const s of sections) {
      outputs.push({
        node,
        command: s.command,
        stdout: s.body,
        stderr: "",
        exitCode: null,
        source: `${input.path}:${s.line}`,
      });
      cluster ??= clusterName(s.command, s.body);
      for (const n of memberNames(s.command, s.body)) named.add(n);
    }
  }
  const defaultNode = origins.length === 1 ? origins[0]!.node : null;
  for (const input of inputs.filter((i) => !reports.includes(i))) {
    const file = readCaptureFile(input, defaultNode);
    outputs.push(file);
    named.add(file.node);
    if (!origins.some((o) => o.node === file.node)) origins.push({ node: file.node, time: null, files: [] });
    const origin = origins.find((o) => o.node === file.node)!;
    if (!origin.files.includes(input.path)) origin.files.push(input.path);
    if (file.command === "date -R" && origin.time === null)
      origin.time = file.stdout.trim().split("\n")[0] || null;
    cluster ??= clusterName(file.command, file.stdout);
    for (const n of memberNames(file.command, file.stdout)) named.add(n);
  }
  if (origins.length === 0)
    throw new InputError([{ field: "--from", message: "no pvereport or captured output given" }]);
  return { cluster: cluster ?? origins[0]!.node, nodes: [...named].sort(), origins, outputs };
}

function readCaptureFile(input: CapturedInput, defaultNode: string | null): CapturedOutput {
  const lines = input.text.split("\n");
  const header = /^# (\S.*)$/.exec(lines[0] ?? "");
  if (!header) {
    bad(
      input.path,
      `${input.path} does not start with '# <command>': a captured output names its command on its first line`,
    );
  }
  let node = defaultNode;
  let exitCode: number | null = null;
  let i = 1;
  for (; i < lines.length; i++) {
    const meta = /^# (node|exit): *(.*)$/.exec(lines[i] as string);
    if (!meta) break;
    if (meta[1] === "node") node = (meta[2] as string).trim();
    else {
      const code = Number(meta[2]);
      if (!Number.isInteger(code) || code < 0 || code > 255)
        bad(input.path, `${input.path}: '# exit:' must be a number 0-255, not '${meta[2]}'`);
      exitCode = code;
    }
  }
  if (!node) {
    bad(input.path, `${input.path} names no node: add '# node: <name>' or give the node's pvereport with it`);
  }
  const rest = lines.slice(i);
  const split = rest.indexOf("# stderr:");
  const stdout = (split < 0 ? rest : rest.slice(0, split)).join("\n");
  const stderr = split < 0 ? "" : rest.slice(split + 1).join("\n");
  return { node, command: (header[1] as string).trim(), stdout, stderr, exitCode, source: `${input.path}:1` };
}

function clusterName(command: string, body: string): string | null {
  try {
    if (command === "pvecm status") return parsePvecmStatus(body).cluster?.name ?? null;
    if (/^cat \/etc\/(pve|corosync)\/corosync\.conf\b/.test(command))
      return parseCorosyncConf(body).clusterName;
  } catch {
    // A section that cannot be read names no cluster; another one may.
  }
  return null;
}

function memberNames(command: string, body: string): string[] {
  try {
    if (command === "pvecm nodes") return parsePvecmNodes(body).map((m) => m.name);
    if (/^cat \/etc\/(pve|corosync)\/corosync\.conf\b/.test(command))
      return parseCorosyncConf(body)
        .nodes.map((n) => n.name)
        .filter(Boolean);
  } catch {
    // As above: the members come from whichever section can be read.
  }
  return [];
}
