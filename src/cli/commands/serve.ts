/** `pvefix serve` and its companions (`serve token`, `pause`, `resume`, `approve`, `deny`, `approvals`): flags in, the service's functions called. */
import * as fs from "node:fs";
import * as os from "node:os";
import { InputError, inventoryFiles, runbooks } from "../../index.js";
import { decide, effectiveStatus } from "../../serve/approvals/approval.js";
import { parseDuration } from "../../serve/duration.js";
import { ServeError } from "../../serve/errors.js";
import { startFleet } from "../../serve/fleet/fleet.js";
import { hashToken, newToken, Role, TokenName } from "../../serve/http/tokens.js";
import { jsonLogger } from "../../serve/log.js";
import { pause, resume } from "../../serve/policy/policy.js";
import { checkRules } from "../../serve/rules/load.js";
import { RulesFile } from "../../serve/rules/schema.js";
import type { ClusterDirectory } from "../../serve/service.js";
import { startServe } from "../../serve/start.js";
import { databaseUrl, type OpenStores, openStores } from "../../serve/store/choose.js";
import { checkSweeps, GraphileQueue } from "../../serve/store/postgres/graphile-queue.js";
import { checkJobSchema } from "../../serve/store/postgres/graphile-schema.js";
import type { ApprovalStore } from "../../serve/store/types.js";
import { EXIT } from "../exit-codes.js";
import type { GlobalOptions } from "../global-options.js";
import { openTarget } from "../target.js";
import { print } from "./shared.js";

/** A worker on a database runs at most this many jobs (clusters) at once: each may hold two connections. */
const MAX_JOBS_AT_ONCE = 8;

export interface ServeCommandOptions {
  rules?: string;
  /** Serve every cluster whose inventory is a file in this folder, instead of the one -i/--lab names. */
  inventoryDir?: string;
  /** PostgreSQL URL: the stores shared by every worker (else PVEFIX_DATABASE_URL, else the state dir). */
  database?: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  trustProxy: boolean;
  bodyLimit: string;
  rateLimit: string;
  /** With a database: the heartbeat interval and the takeover delay (durations like 5s, 30s). */
  heartbeat?: string;
  takeoverAfter?: string;
  /** Signs the approval page's sessions; the same file on every worker behind one address. */
  sessionKeyFile?: string;
}

/** The stores the command's flags name, closed when `fn` ends. */
async function withStores<T>(
  globals: GlobalOptions,
  /** The --database flag, or it with the pool's size (`serve`, which runs many jobs at once). */
  database: string | undefined | { flag: string | undefined; maxConnections: number },
  fn: (open: OpenStores) => Promise<T>,
): Promise<T> {
  const flag = typeof database === "object" ? database.flag : database;
  const open = await openStores({
    stateDir: globals.stateDir,
    database: databaseUrl(flag),
    ...(typeof database === "object" ? { maxConnections: database.maxConnections } : {}),
  });
  try {
    return await fn(open);
  } finally {
    await open.close();
  }
}

function readText(file: string, flag: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new InputError([{ field: flag, message: `Cannot read ${file}: ${(error as Error).message}` }]);
  }
}

function knownRunbooks(): string[] {
  return runbooks.map((r) => r.meta.id);
}

/** `pvefix serve --check-rules FILE`: every problem with the path of its field; exit 2 if any. */
export function runCheckRules(file: string): number {
  const checked = checkRules(readText(file, "--check-rules"), knownRunbooks());
  if (!checked.ok) {
    process.stderr.write(
      `✖ ${file}: ${checked.errors.length} problem(s)\n${checked.errors.map((e) => `  ${e}`).join("\n")}\n`,
    );
    return EXIT.badInput;
  }
  const r = checked.rules;
  print(
    `✔ ${file}: ${r.rules.length} rule(s), ${r.sweeps.length} sweep(s), ${r.findings.length} finding rule(s), ${r.notify.length} notification target(s)`,
  );
  return EXIT.ok;
}

function sessionKey(file: string): Buffer {
  let key: Buffer;
  try {
    key = fs.readFileSync(file);
  } catch (error) {
    throw new InputError([
      { field: "--session-key-file", message: `Cannot read ${file}: ${(error as Error).message}` },
    ]);
  }
  if (key.length < 32) {
    throw new InputError([
      {
        field: "--session-key-file",
        message: `${file} has ${key.length} bytes; a session key needs 32 or more (head -c 32 /dev/urandom > ${file})`,
      },
    ]);
  }
  return key;
}

function positiveInt(text: string, field: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new InputError([{ field, message: `Expected a positive whole number, got "${text}"` }]);
  return n;
}

function listenAddress(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) {
    throw new InputError([
      { field: "--listen", message: `Expected HOST:PORT like 127.0.0.1:9797, got "${text}"` },
    ]);
  }
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}

/**
 * The clusters this service remediates: the one -i/--lab names, or one per inventory file in
 * `dir` (pvefix YAML or Ansible, as -i reads them). Each is opened once here, so a file that does
 * not load stops the start; its node count is what the storm guard measures against.
 */
async function clusterDirectory(globals: GlobalOptions, dir: string | undefined): Promise<ClusterDirectory> {
  if (dir !== undefined && (globals.lab || globals.inventory)) {
    throw new InputError([
      { field: "--inventory-dir", message: "serves the clusters of its files: leave out -i and --lab" },
    ]);
  }
  const files = dir === undefined ? [globals.inventory] : inventoryFiles(dir);
  const byName = new Map<string, { globals: GlobalOptions; nodes: number; file: string }>();
  for (const file of files) {
    const g: GlobalOptions = file === undefined ? globals : { ...globals, inventory: file };
    const target = await openTarget(g);
    await target.transport.close();
    const seen = byName.get(target.cluster);
    if (seen) {
      throw new InputError([
        {
          field: "--inventory-dir",
          message: `cluster "${target.cluster}" is in both ${seen.file} and ${file}: one file per cluster`,
        },
      ]);
    }
    byName.set(target.cluster, { globals: g, nodes: target.nodes.length, file: file ?? "--lab" });
  }
  const entry = (cluster: string) => {
    const found = byName.get(cluster);
    if (!found) throw new ServeError("PVEFIX_BAD_INPUT", `this service does not serve cluster "${cluster}"`);
    return found;
  };
  return {
    names: () => [...byName.keys()],
    nodeCount: (cluster) => byName.get(cluster)?.nodes ?? 0,
    open: (cluster) => openTarget(entry(cluster).globals),
  };
}

/** `--heartbeat` and `--takeover-after`: checked even without a database, so a typo is never silent. */
function fleetDurations(o: ServeCommandOptions): { heartbeatMs?: number; takeoverMs?: number } {
  const read = (text: string | undefined, field: string) => {
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === null || ms <= 0)
      throw new InputError([{ field, message: `Expected a duration like 5s, 30s or 2m, got "${text}"` }]);
    return ms;
  };
  const heartbeatMs = read(o.heartbeat, "--heartbeat");
  const takeoverMs = read(o.takeoverAfter, "--takeover-after");
  if (heartbeatMs !== undefined && takeoverMs !== undefined && takeoverMs < 2 * heartbeatMs) {
    throw new InputError([
      {
        field: "--takeover-after",
        message: `Must be at least twice --heartbeat (${o.heartbeat}), got "${o.takeoverAfter}": one late beat must not look like a dead worker`,
      },
    ]);
  }
  return {
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
    ...(takeoverMs !== undefined ? { takeoverMs } : {}),
  };
}

export async function runServe(globals: GlobalOptions, o: ServeCommandOptions): Promise<number> {
  const { host, port } = listenAddress(o.listen);
  const fleetTimes = fleetDurations(o);
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new InputError([
      { field: o.tlsCert ? "--tls-key" : "--tls-cert", message: "TLS needs both --tls-cert and --tls-key" },
    ]);
  }
  let rules = RulesFile.parse({ version: 1 });
  if (o.rules) {
    const checked = checkRules(readText(o.rules, "--rules"), knownRunbooks());
    if (!checked.ok)
      throw new ServeError(
        "PVEFIX_SERVE_RULES",
        `✖ ${o.rules}:\n${checked.errors.map((e) => `  ${e}`).join("\n")}`,
        "check it with pvefix serve --check-rules FILE",
      );
    rules = checked.rules;
  }
  const key = o.sessionKeyFile === undefined ? undefined : sessionKey(o.sessionKeyFile);
  const clusters = await clusterDirectory(globals, o.inventoryDir);
  const logger = jsonLogger((line) => process.stderr.write(line));
  const url = databaseUrl(o.database);
  // With a database: jobs of different clusters at once, each holding a cluster lock's connection.
  // A slot more for the sweeps, so a sweep's diagnose does not wait behind a run (or a run behind it).
  const concurrency =
    Math.min(Math.max(clusters.names().length, 1), MAX_JOBS_AT_ONCE) + (rules.sweeps.length > 0 ? 1 : 0);
  if (url !== null) checkSweeps(rules.sweeps);
  const pool = { flag: o.database, maxConnections: concurrency + 6 };
  return withStores(globals, pool, async ({ stores, db }) => {
    let queue: GraphileQueue | undefined;
    if (db && url !== null) {
      await checkJobSchema(db);
      queue = new GraphileQueue({
        db,
        url,
        logger,
        maxPerCluster: rules.policy.maxQueue,
        concurrency,
        sweeps: rules.sweeps,
      });
    }
    const jobs = queue;
    const fleet = db
      ? await startFleet({
          db,
          stateDir: globals.stateDir,
          stores,
          clusters,
          rules,
          logger,
          ...fleetTimes,
          ...(jobs
            ? {
                jobs: {
                  ownPool: () => jobs.poolId,
                  stopTaking: () => jobs.stopTaking(),
                  onPool: (record: (pool: string) => Promise<void>) => jobs.onPool.push(record),
                },
              }
            : {}),
        })
      : null;
    const handle = await startServe({
      stores,
      ...(queue ? { queue } : {}),
      ...(fleet
        ? { remediator: fleet.remediator, recover: false, runs: fleet.runs, assertAlive: fleet.assertAlive }
        : {}),
      stateDir: globals.stateDir,
      rules,
      clusters,
      host,
      port,
      logger,
      trustProxy: o.trustProxy,
      bodyLimit: positiveInt(o.bodyLimit, "--body-limit"),
      rateLimit: positiveInt(o.rateLimit, "--rate-limit"),
      ...(key ? { sessionKey: key } : {}),
      ...(o.tlsCert && o.tlsKey
        ? { tls: { cert: fs.readFileSync(o.tlsCert), key: fs.readFileSync(o.tlsKey) } }
        : {}),
    });
    const names = clusters.names();
    print(JSON.stringify({ listening: handle.url, cluster: names[0], clusters: names }));
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.log("info", "signal", { signal });
        process.off("SIGTERM", onTerm);
        process.off("SIGINT", onInt);
        handle
          .shutdown()
          .then(() => fleet?.stop())
          .then(resolve, resolve);
      };
      const onTerm = () => stop("SIGTERM");
      const onInt = () => stop("SIGINT");
      process.on("SIGTERM", onTerm);
      process.on("SIGINT", onInt);
    });
    return EXIT.ok;
  });
}

export async function runTokenAdd(
  globals: GlobalOptions,
  name: string,
  role: string,
  database?: string,
): Promise<number> {
  const n = TokenName.safeParse(name);
  if (!n.success)
    throw new InputError([{ field: "<name>", message: `${n.error.issues[0]?.message}, got "${name}"` }]);
  const r = Role.safeParse(role);
  if (!r.success)
    throw new InputError([
      { field: "--role", message: `Expected one of ${Role.options.join(", ")}, got "${role}"` },
    ]);
  const token = newToken();
  await withStores(globals, database, ({ stores }) =>
    stores.tokens.add({
      name,
      role: r.data,
      hash: hashToken(token),
      createdAt: new Date().toISOString(),
    }),
  );
  process.stderr.write(`Token for ${name} (${r.data}); it is shown once and stored only as its sha256:\n`);
  print(token);
  return EXIT.ok;
}

export async function runTokenRemove(
  globals: GlobalOptions,
  name: string,
  database?: string,
): Promise<number> {
  const removed = await withStores(globals, database, ({ stores }) => stores.tokens.remove(name));
  if (!removed) throw new ServeError("PVEFIX_SERVE_TOKEN", `✖ No token named ${name}`);
  print(`Removed the token of ${name}`);
  return EXIT.ok;
}

export async function runTokenList(globals: GlobalOptions, database?: string): Promise<number> {
  const all = await withStores(globals, database, ({ stores }) => stores.tokens.list());
  print(all.length === 0 ? "No tokens" : all.map((t) => `${t.name}\t${t.role}\t${t.createdAt}`).join("\n"));
  return EXIT.ok;
}

export async function runPause(
  globals: GlobalOptions,
  o: { cluster?: string; reason?: string; database?: string },
): Promise<number> {
  const who = `user:${os.userInfo().username}`;
  await withStores(globals, o.database, ({ stores }) =>
    stores.policy.update((s) => ({
      state: pause(s, o.cluster ?? null, who, o.reason ?? "paused by hand", Date.now()),
      result: null,
    })),
  );
  print(
    `Paused ${o.cluster ? `cluster ${o.cluster}` : "every cluster"}: no new remediation starts (a running one ends its run); resume with pvefix resume${o.cluster ? ` --cluster ${o.cluster}` : ""}`,
  );
  return EXIT.ok;
}

export async function runResume(
  globals: GlobalOptions,
  o: { cluster?: string; database?: string },
): Promise<number> {
  await withStores(globals, o.database, ({ stores }) =>
    stores.policy.update((s) => ({ state: resume(s, o.cluster ?? null), result: null })),
  );
  print(`Resumed ${o.cluster ? `cluster ${o.cluster}` : "every cluster"}`);
  return EXIT.ok;
}

/** `pvefix approve|deny <id>`: decided in the store; the running service applies a complete approval within a second. */
export async function runDecide(
  globals: GlobalOptions,
  id: string,
  verdict: "approve" | "deny",
  o: { confirm?: string; database?: string },
): Promise<number> {
  const who = `user:${os.userInfo().username}`;
  const a = await withStores(globals, o.database, ({ stores }) =>
    stores.approvals.update(id, (approval) =>
      decide(approval, { by: who, verdict, confirm: o.confirm }, Date.now()),
    ),
  );
  const left = a.required - a.decisions.filter((d) => d.verdict === "approve").length;
  print(
    a.status === "approved"
      ? `✔ Approved ${id} (${a.runbook} on ${a.cluster}): pvefix serve applies it now, checking the plan is not stale`
      : a.status === "denied"
        ? `Denied ${id}: nothing will run`
        : `Approved ${id} by ${who}; ${left} more approval(s) needed`,
  );
  return EXIT.ok;
}

export async function runApprovals(globals: GlobalOptions, id?: string, database?: string): Promise<number> {
  return withStores(globals, database, ({ stores }) => showApprovals(stores.approvals, id));
}

async function showApprovals(store: ApprovalStore, id?: string): Promise<number> {
  if (id) {
    const a = await store.get(id);
    if (!a) throw new ServeError("PVEFIX_APPROVAL_NOT_FOUND", `✖ No approval ${id}`);
    print(
      [
        `Approval ${a.id}: ${effectiveStatus(a, Date.now())}, requested by ${a.requestedBy} (${a.reason})`,
        `expires ${new Date(a.expiresAt).toISOString()}; ${a.required} approval(s) needed; plan sha256 ${a.planHash}`,
        ...(a.dangerousNodes.length
          ? [`dangerous steps: approve with --confirm ${a.dangerousNodes.join(",")}`]
          : []),
        "",
        a.markdown,
      ].join("\n"),
    );
    return EXIT.ok;
  }
  const all = await store.list();
  print(
    all.length === 0
      ? "No approvals"
      : all
          .map(
            (a) =>
              `${a.id}\t${effectiveStatus(a, Date.now())}\t${a.runbook}\t${a.cluster}\t${new Date(a.expiresAt).toISOString()}`,
          )
          .join("\n"),
  );
  return EXIT.ok;
}
