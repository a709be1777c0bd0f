import { type Db, statement } from './db.js';

/**
 * Provider events already taken, by identity (a Mailgun signature's token,
 * an SNS MessageId, a Postmark event ID): a webhook replayed, by an
 * attacker or by the provider retrying, is taken once. An event is kept
 * while a provider could still deliver it (its replay window), then pruned.
 */

/**
 * Claim an event: true the first time, false when it was taken before.
 * It is remembered until `keepUntil` (undefined: for good); entries past
 * theirs are removed on the way.
 */
export function claimEvent(db: Db, id: string, at: Date, keepUntil: Date | undefined): boolean {
  statement(db, 'DELETE FROM webhook_events WHERE keep_until < ?').run(at.toISOString());
  return (
    statement(db, 'INSERT OR IGNORE INTO webhook_events (id, seen_at, keep_until) VALUES (?, ?, ?)').run(
      id,
      at.toISOString(),
      keepUntil?.toISOString() ?? '9999',
    ).changes === 1
  );
}

/** Give a claim back (the event could not be applied; the provider will retry it). */
export function releaseEvent(db: Db, id: string): void {
  statement(db, 'DELETE FROM webhook_events WHERE id = ?').run(id);
}
