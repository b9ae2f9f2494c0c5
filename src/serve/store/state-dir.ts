/**
 * The embedded default: the service's state as files under `<state>/serve/`, each written
 * atomically (temporary file, fsync, rename) under a file lock, so two pvefix processes on one
 * machine (a serve and a `pvefix pause`) never lose each other's writes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Approval } from "../approvals/approval.js";
import { ServeError } from "../errors.js";
import { TokenRecord } from "../http/tokens.js";
import { emptyPolicyState, PolicyState } from "../policy/state.js";
import { withFileLock, writeFileAtomic } from "./file-lock.js";
import type { ApprovalStore, PolicyStore, ServeStores, StoreTx, TokenStore } from "./types.js";

export function serveDir(stateDir: string): string {
  return path.join(stateDir, "serve");
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ServeError(
      "PVEFIX_SERVE_STATE",
      `cannot read ${file}: ${(error as Error).message}`,
      undefined,
      {
        cause: error,
      },
    );
  }
}

const STATE_DIR_TX: StoreTx = { kind: "state-dir" };

export class FilePolicyStore implements PolicyStore {
  private readonly file: string;
  private readonly lock: string;

  constructor(stateDir: string) {
    this.file = path.join(serveDir(stateDir), "policy.json");
    this.lock = `${this.file}.lock`;
  }

  private load(): PolicyState {
    const raw = readJson(this.file);
    if (raw === undefined) return emptyPolicyState();
    const parsed = PolicyState.safeParse(raw);
    if (!parsed.success) {
      // Failing closed: a policy we cannot read must not be replaced by an empty one (that would forget pauses and caps).
      throw new ServeError(
        "PVEFIX_SERVE_STATE",
        `${this.file} is not a pvefix policy state: ${parsed.error.issues[0]?.message}`,
        "move it aside to start with no memory (this forgets pauses and attempt caps)",
      );
    }
    return parsed.data;
  }

  async read(): Promise<PolicyState> {
    return this.load();
  }

  /**
   * Group commit: the updates that arrive while one is being written are applied together, in
   * order, under one lock and with one fsync'd write, so a storm costs a write per turn of the
   * event loop rather than per alert. Each caller still gets its own result, or its own error
   * (an update that throws changes nothing and the others go on).
   */
  async update<T>(
    fn: (state: PolicyState) => { state: PolicyState; result: T },
    commitWith?: (result: T, tx: StoreTx) => Promise<void>,
  ): Promise<T> {
    const result = await new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    });
    // One process, its queue in memory: there is no transaction to share, and none is needed (a
    // crash loses the queue with the process). The work runs right after the write.
    if (commitWith) await commitWith(result, STATE_DIR_TX);
    return result;
  }

  private pending: Array<{
    fn: (state: PolicyState) => { state: PolicyState; result: unknown };
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }> = [];
  private flushing = false;

  private flush(): void {
    const batch = this.pending.splice(0);
    const settled: Array<() => void> = [];
    try {
      withFileLock(this.lock, () => {
        let state = this.load();
        for (const u of batch) {
          try {
            // The policy's functions change the draft only on their way to a result, never before a throw.
            const out = u.fn(state);
            state = out.state;
            settled.push(() => u.resolve(out.result));
          } catch (error) {
            settled.push(() => u.reject(error));
          }
        }
        writeFileAtomic(this.file, JSON.stringify(state));
      });
      for (const s of settled) s();
    } catch (error) {
      for (const u of batch) u.reject(error);
    }
    if (this.pending.length > 0) setImmediate(() => this.flush());
    else this.flushing = false;
  }
}

export class FileApprovalStore implements ApprovalStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(serveDir(stateDir), "approvals");
  }

  private file(id: string, kind: "json" | "plan.json"): string {
    if (!/^[a-z0-9-]{6,64}$/.test(id)) {
      throw new ServeError(
        "PVEFIX_APPROVAL_NOT_FOUND",
        `✖ Expected an approval id like a1b2c3d4e5f6, got "${id}"`,
      );
    }
    return path.join(this.dir, `${id}.${kind}`);
  }

  async create(approval: Approval, plan: unknown): Promise<void> {
    // The plan first: an approval record never points at a plan that is not on disk.
    writeFileAtomic(this.file(approval.id, "plan.json"), `${JSON.stringify(plan, null, 2)}\n`);
    writeFileAtomic(this.file(approval.id, "json"), JSON.stringify(approval));
  }

  async get(id: string): Promise<Approval | null> {
    const raw = readJson(this.file(id, "json"));
    return raw === undefined ? null : Approval.parse(raw);
  }

  async plan(id: string): Promise<unknown> {
    return readJson(this.file(id, "plan.json"));
  }

  async list(): Promise<Approval[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: Approval[] = [];
    for (const name of names.filter((n) => n.endsWith(".json") && !n.endsWith(".plan.json"))) {
      const parsed = Approval.safeParse(readJson(path.join(this.dir, name)));
      if (parsed.success) out.push(parsed.data);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async update(id: string, fn: (approval: Approval) => Approval): Promise<Approval> {
    const file = this.file(id, "json");
    return withFileLock(`${file}.lock`, () => {
      const raw = readJson(file);
      if (raw === undefined) throw new ServeError("PVEFIX_APPROVAL_NOT_FOUND", `✖ No approval ${id}`);
      const next = Approval.parse(fn(Approval.parse(raw)));
      writeFileAtomic(file, JSON.stringify(next));
      return next;
    });
  }
}

export class FileTokenStore implements TokenStore {
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(serveDir(stateDir), "tokens.json");
  }

  private load(): TokenRecord[] {
    const raw = readJson(this.file);
    return raw === undefined ? [] : TokenRecord.array().parse(raw);
  }

  async list(): Promise<TokenRecord[]> {
    return this.load();
  }

  async add(record: TokenRecord): Promise<void> {
    withFileLock(`${this.file}.lock`, () => {
      const all = this.load();
      if (all.some((t) => t.name === record.name)) {
        throw new ServeError(
          "PVEFIX_SERVE_TOKEN",
          `✖ A token named ${record.name} exists`,
          `remove it first: pvefix serve token remove ${record.name}`,
        );
      }
      writeFileAtomic(this.file, JSON.stringify([...all, record], null, 2));
    });
  }

  async remove(name: string): Promise<boolean> {
    return withFileLock(`${this.file}.lock`, () => {
      const all = this.load();
      const kept = all.filter((t) => t.name !== name);
      if (kept.length === all.length) return false;
      writeFileAtomic(this.file, JSON.stringify(kept, null, 2));
      return true;
    });
  }

  async byHash(hash: string): Promise<TokenRecord | null> {
    // Read on every request: a token removed with `serve token remove` stops working at once.
    return this.load().find((t) => t.hash === hash) ?? null;
  }
}

export function stateDirStores(stateDir: string): ServeStores {
  return {
    policy: new FilePolicyStore(stateDir),
    approvals: new FileApprovalStore(stateDir),
    tokens: new FileTokenStore(stateDir),
  };
}
