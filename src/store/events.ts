import { sql } from 'kysely';
import { changes, type Q } from './sql.js';

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
export async function claimEvent(db: Q, id: string, at: Date, keepUntil: Date | undefined): Promise<boolean> {
  await sql`DELETE FROM webhook_events WHERE keep_until < ${at.toISOString()}`.execute(db);
  const taken = await changes(
    db,
    sql`INSERT INTO webhook_events (id, seen_at, keep_until) VALUES (${id}, ${at.toISOString()}, ${keepUntil?.toISOString() ?? '9999'})
        ON CONFLICT (id) DO NOTHING`,
  );
  return taken === 1;
}

/** Give a claim back (the event could not be applied; the provider will retry it). */
export async function releaseEvent(db: Q, id: string): Promise<void> {
  await sql`DELETE FROM webhook_events WHERE id = ${id}`.execute(db);
}
