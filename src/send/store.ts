import type { ClaimKind, IssueRef, Outcome, Recipient } from '../store/index.js';

/**
 * What the send pipeline needs from storage (listmonk's `manager.Store`):
 * the pipeline owns this interface and the outside implements it. The
 * ledger (`store/ledger.ts`, on SQLite or PostgreSQL) does; tests use an
 * in-memory one.
 */
export interface SendStore {
  /** Remember the issue being sent (for `gazette status`). */
  recordIssue(issue: IssueRef): Promise<void>;
  /** How many subscribers are still owed this issue. */
  owedCount(issueId: string): Promise<number>;
  /**
   * The next subscribers (ids above `after`, in id order) still owed the
   * issue; with `retry`, only those whose last attempt was deferred.
   */
  owedBatch(issueId: string, after: number, limit: number, retry: boolean): Promise<Recipient[]>;
  /**
   * The same, claimed for this worker until `until` (its lease): none that
   * another worker holds. Several workers of one campaign (on PostgreSQL)
   * each take their own.
   */
  claimBatch(issueId: string, after: number, limit: number, which: ClaimKind, until: Date): Promise<Recipient[]>;
  /** Keep this worker's claims until `until`. */
  renewClaims(issueId: string, until: Date): Promise<void>;
  /** Give this worker's claims back (it stops). */
  releaseClaims(issueId: string): Promise<void>;
  /** How many other workers hold live claims on the issue (their subscribers are theirs until they finish, or their lease runs out). */
  otherWorkers(issueId: string): Promise<number>;
  /** Whether other processes may send the same campaign (then rates are counted in the store, for all of them). */
  shared: boolean;
  /**
   * Count one message against a rate (`send <issue>`, `relay <name>`): the
   * hits of `key` in the window that began at `start` (a new one begins
   * when the last is `windowMs` old), every worker together.
   */
  countHit(key: string, windowMs: number, at: Date): Promise<{ hits: number; start: Date }>;
  /**
   * Take one of `limit` slots of `key` (a relay's daily limit) in the last
   * 24 hours, every worker and issue together: undefined when taken, else
   * the time the next one frees.
   */
  quotaSlot(key: string, limit: number, at: Date): Promise<Date | undefined>;
  /**
   * Just before the SMTP transaction: atomically check the subscriber is
   * still subscribed and owed the issue, and record the attempt. False
   * means the message must not be sent.
   */
  beginDelivery(issueId: string, subscriberId: number, messageId: string): Promise<boolean>;
  /** Right after the SMTP transaction: record what happened. */
  finishDelivery(issueId: string, subscriberId: number, outcome: Outcome): Promise<void>;
}

/**
 * A store that reads from `store` and records nothing in it: a dry run, or
 * an outbox for want of SMTP. It counts what this run wrote, so the owed
 * count goes down as the run goes; nothing is kept for a retry pass.
 */
export function readOnlyStore(store: SendStore): SendStore {
  let written = 0;
  return {
    recordIssue: async () => undefined,
    owedCount: async (issueId) => Math.max(0, (await store.owedCount(issueId)) - written),
    owedBatch: async (issueId, after, limit, retry) => (retry ? [] : store.owedBatch(issueId, after, limit, false)),
    claimBatch: async (issueId, after, limit, which) => (which === 'owed' ? store.owedBatch(issueId, after, limit, false) : []),
    renewClaims: async () => undefined,
    releaseClaims: async () => undefined,
    otherWorkers: async () => 0,
    shared: false,
    // A dry run writes files: no rate, no quota spent.
    countHit: async (_key, _windowMs, at) => ({ hits: 1, start: at }),
    quotaSlot: async () => undefined,
    beginDelivery: async () => true,
    finishDelivery: async (_issueId, _subscriberId, outcome) => {
      if (outcome.state !== 'deferred') written++;
    },
  };
}
