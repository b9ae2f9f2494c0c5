/** The bytes a cluster-config repair writes: an operator's local file, or a backup from an earlier run's journal. */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { sha256Hex } from "../../engine/fingerprint.js";
import { type JournalEntry, readJournal } from "../../engine/journal.js";
import { REDACTED } from "../../engine/redact.js";

export const NewContent = z.object({
  /** Where the content came from, in words for the plan. */
  source: z.string(),
  text: z.string().nullable(),
  sha256: z.string().nullable(),
  /** Why there is no content; null when there is. */
  problem: z.string().nullable(),
});
export type NewContent = z.infer<typeof NewContent>;

const none = (source: string, problem: string): NewContent => ({ source, text: null, sha256: null, problem });
const some = (source: string, text: string): NewContent =>
  // Text copied from a plan, the journal or `show` has its secrets replaced: writing it would
  // put `[REDACTED]` where a password was.
  text.includes(REDACTED)
    ? none(source, `${source} holds ${REDACTED} where pvefix hid a secret (put the real values back)`)
    : { source, text, sha256: sha256Hex(text), problem: null };

interface ContentOptions {
  file?: string | undefined;
  restoreBackup?: string | undefined;
  path: string;
  stateDir: string | null;
}

/** A backup that holds secrets: its bytes are only in the copy on its node, its sha256 in the journal. */
interface NodeCopy {
  where: string;
  node: string;
  nodeCopy: string;
  sha256: string | null;
}

/**
 * The content to write: a local file (read here, on the operator's machine) or the bytes an earlier
 * run backed up for `path` before its first step that changed it. Reads only. A backup that holds
 * secrets is not in the journal: see `readNewContentFrom`.
 */
export function readNewContent(o: ContentOptions): NewContent {
  const found = locate(o);
  if (!("nodeCopy" in found)) return found;
  return none(
    found.where,
    `run ${o.restoreBackup} kept no copy of ${o.path} in its journal because it holds secrets (its copy is ${found.nodeCopy} on ${found.node}: copy that to a local file and pass --file)`,
  );
}

/**
 * As `readNewContent`, and a backup that holds secrets is read from its copy on the node (with the
 * probe's `readFile`) and used only if its sha256 is the one in the journal.
 */
export async function readNewContentFrom(
  readFile: (node: string, path: string) => Promise<string | null>,
  o: ContentOptions,
): Promise<NewContent> {
  const found = locate(o);
  if (!("nodeCopy" in found)) return found;
  let text: string | null;
  try {
    text = await readFile(found.node, found.nodeCopy);
  } catch (error) {
    return none(
      found.where,
      `cannot read its copy ${found.nodeCopy} on ${found.node}: ${(error as Error).message}`,
    );
  }
  if (text === null) return none(found.where, `its copy ${found.nodeCopy} on ${found.node} is gone`);
  if (sha256Hex(text) !== found.sha256)
    return none(
      found.where,
      `its copy ${found.nodeCopy} on ${found.node} does not match the sha256 ${found.sha256} recorded in the journal`,
    );
  return some(found.where, text);
}

function locate(o: ContentOptions): NewContent | NodeCopy {
  if (o.file !== undefined) {
    try {
      return some(`file ${o.file}`, readFileSync(o.file, "utf8"));
    } catch (error) {
      return none(`file ${o.file}`, `cannot read ${o.file}: ${(error as Error).message}`);
    }
  }
  const runId = o.restoreBackup ?? "";
  const source = `the backup of ${o.path} in run ${runId}`;
  if (o.stateDir === null) return none(source, "no pvefix state directory to read runs from");
  let entries: JournalEntry[];
  try {
    entries = readJournal(o.stateDir, runId);
  } catch (error) {
    return none(source, (error as Error).message);
  }
  const decision = entries.find((e) => e.type === "decision" && e.plan);
  const order = decision?.type === "decision" ? (decision.plan?.steps.map((s) => s.id) ?? []) : [];
  const rank = (stepId: string) => (order.includes(stepId) ? order.indexOf(stepId) : order.length);
  const backups = entries.flatMap((e) => (e.type === "backup" && e.path === o.path ? [e] : []));
  const first = backups.sort((a, b) => rank(a.stepId) - rank(b.stepId))[0];
  if (!first) return none(source, `run ${runId} backed up no ${o.path}`);
  const where = `${source} (step ${first.stepId} on ${first.node})`;
  if (!first.existed) return none(where, `${o.path} did not exist before run ${runId}`);
  if (first.contentBase64 === null) {
    if (first.nodeCopy === null) return none(where, `run ${runId} kept no copy of ${o.path}`);
    return { where, node: first.node, nodeCopy: first.nodeCopy, sha256: first.sha256 };
  }
  const bytes = Buffer.from(first.contentBase64, "base64");
  if (sha256Hex(bytes) !== first.sha256)
    return none(where, `the journal copy of ${o.path} does not match its recorded sha256 ${first.sha256}`);
  return some(where, bytes.toString("utf8"));
}

/** A file under /etc/pve, without `.` or `..` segments (a cluster file pvefix may write). */
export const PveFileParam = z
  .string()
  .refine(
    (p) => /^\/etc\/pve\/[^\0\n]*[^/]$/.test(p) && !p.split("/").some((seg) => seg === "." || seg === ".."),
    "Expected a file path under /etc/pve/",
  );
