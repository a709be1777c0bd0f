import { sql } from 'kysely';
import { all, LOCKS, one, onPostgres, type Q, transact } from './sql.js';

const HOUR = 3_600_000;
/** Hours a day's count spans: the current hour and the 24 before it, so a freed slot is always at least 24 hours old. */
const SPAN = 24;

/**
 * Take one of `limit` slots of `key` (a relay's daily limit) in the last
 * 24 hours, counted by hour in the database, so that every sender of the
 * list counts together. Undefined when the slot is taken; otherwise the
 * time the next one frees. The current hour and the 24 before it are
 * counted: a little more than a day, never less, so a relay's quota is
 * never overrun.
 */
export async function quotaSlot(db: Q, key: string, limit: number, at: Date): Promise<Date | undefined> {
  const hour = Math.floor(at.getTime() / HOUR);
  return transact(db, async (trx) => {
    // One taker of this key's slots at a time (on SQLite the transaction already holds the write lock).
    if (onPostgres(trx)) await sql`SELECT pg_advisory_xact_lock(${LOCKS.quota}, hashtext(${key}))`.execute(trx);
    const buckets = await all(
      trx,
      sql<{ bucket: number; hits: number }>`SELECT bucket, hits FROM quota_hits WHERE key = ${key} AND bucket >= ${hour - SPAN} ORDER BY bucket`,
    );
    let used = buckets.reduce((sum, b) => sum + Number(b.hits), 0);
    if (used >= limit) {
      // The oldest hours leave the count one by one: the slot frees when enough of them have.
      for (const b of buckets) {
        used -= Number(b.hits);
        if (used < limit) return new Date((Number(b.bucket) + SPAN + 1) * HOUR);
      }
    }
    const taken = await one(
      trx,
      sql<{ hits: number }>`INSERT INTO quota_hits (key, bucket, hits) VALUES (${key}, ${hour}, 1)
        ON CONFLICT (key, bucket) DO UPDATE SET hits = quota_hits.hits + 1 RETURNING hits`,
    );
    // The first message of an hour forgets the hours no count reaches any more.
    if (Number(taken!.hits) === 1) await sql`DELETE FROM quota_hits WHERE key = ${key} AND bucket < ${hour - SPAN}`.execute(trx);
    return undefined;
  });
}
