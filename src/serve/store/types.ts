/**
 * The service's seams for state. The embedded default keeps them in the state directory
 * (`state-dir.ts`); a database implementation replaces these without touching the policy, the
 * rules or the approvals, which only ever see these interfaces and plain values.
 */

import type { Approval } from "../approvals/approval.js";
import type { TokenRecord } from "../http/tokens.js";
import type { PolicyState } from "../policy/state.js";

/**
 * A store's open transaction, handed to work that must commit or roll back with a policy change
 * (the job an admitted alert queues). Opaque: only the store's own kind of queue looks inside.
 */
export interface StoreTx {
  readonly kind: "state-dir" | "postgres";
}

export interface PolicyStore {
  read(): Promise<PolicyState>;
  /**
   * Read, change and write the state as one transaction: no other process or worker changes it
   * between the read and the write. `fn` is pure; its `result` is returned. `commitWith` runs
   * with `fn`'s result inside the same transaction where the store has one (PostgreSQL): if it
   * throws, the change is not written either.
   */
  update<T>(
    fn: (state: PolicyState) => { state: PolicyState; result: T },
    commitWith?: (result: T, tx: StoreTx) => Promise<void>,
  ): Promise<T>;
}

export interface ApprovalStore {
  create(approval: Approval, plan: unknown): Promise<void>;
  get(id: string): Promise<Approval | null>;
  /** The saved plan (as `plan --save` writes it) an approval is bound to. */
  plan(id: string): Promise<unknown>;
  list(): Promise<Approval[]>;
  /** Change one approval as a transaction; `fn` may throw to refuse, leaving it unchanged. */
  update(id: string, fn: (approval: Approval) => Approval): Promise<Approval>;
}

export interface TokenStore {
  list(): Promise<TokenRecord[]>;
  add(record: TokenRecord): Promise<void>;
  remove(name: string): Promise<boolean>;
  /** The token whose sha256 is `hash`, if any. */
  byHash(hash: string): Promise<TokenRecord | null>;
}

export interface ServeStores {
  policy: PolicyStore;
  approvals: ApprovalStore;
  tokens: TokenStore;
}
