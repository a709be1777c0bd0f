import { sql } from 'kysely';
import { changes, one, type Q } from './sql.js';

const DAY = 86_400_000;

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

/**
 * Count a request against a limit shared by every `serve` of the list:
 * the hits of `key` in the window that began at `start` (a new window
 * begins when the last is `windowMs` old). Each window that begins prunes
 * the rows whose window began a day before (an index on the start finds
 * them), so the table holds about a day's clients.
 */
export async function countHit(db: Q, key: string, windowMs: number, at: Date): Promise<{ hits: number; start: Date }> {
  const now = at.toISOString();
  const cutoff = new Date(at.getTime() - windowMs).toISOString();
  const row = await one(
    db,
    sql<{ hits: number; window_start: string }>`INSERT INTO rate_limits (key, window_start, hits) VALUES (${key}, ${now}, 1)
      ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN rate_limits.window_start > ${cutoff} THEN rate_limits.hits + 1 ELSE 1 END,
        window_start = CASE WHEN rate_limits.window_start > ${cutoff} THEN rate_limits.window_start ELSE excluded.window_start END
      RETURNING hits, window_start`,
  );
  if (row!.hits === 1) await sql`DELETE FROM rate_limits WHERE window_start < ${new Date(at.getTime() - DAY).toISOString()}`.execute(db);
  return { hits: row!.hits, start: new Date(row!.window_start) };
}

/** Give a claim back (the event could not be applied; the provider will retry it). */
export async function releaseEvent(db: Q, id: string): Promise<void> {
  await sql`DELETE FROM webhook_events WHERE id = ${id}`.execute(db);
}
