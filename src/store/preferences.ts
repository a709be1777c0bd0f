import { sql } from 'kysely';
import { now } from './db.js';
import { all, type Q, transact } from './sql.js';

/** How often a reader is mailed: every issue, or the weekly roll-up. */
export type Frequency = 'daily' | 'weekly';
export const FREQUENCIES: readonly Frequency[] = ['daily', 'weekly'];

/** What a reader chose: topics (none: everything) and how often. */
export interface Preferences {
  topics: string[];
  frequency: Frequency;
}

/** The topics each of these readers chose (none: everything), in key order. */
export async function topicsOf(db: Q, ids: readonly number[]): Promise<Map<number, string[]>> {
  const chosen = new Map<number, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return chosen;
  for (const row of await all(
    db,
    sql<{ subscriber_id: number; topic: string }>`SELECT subscriber_id, topic FROM subscriber_topics
      WHERE subscriber_id IN (${sql.join([...ids])}) ORDER BY subscriber_id, topic`,
  ))
    chosen.get(row.subscriber_id)?.push(row.topic);
  return chosen;
}

/**
 * Record a reader's choice, with its time: the topics replaced as a whole,
 * the frequency set. `at` is when they chose (the preferences page, an
 * import, `subscribers add`).
 */
export async function setPreferences(db: Q, id: number, preferences: Preferences, at = now()): Promise<void> {
  const topics = [...new Set(preferences.topics)].sort();
  await transact(db, async (trx) => {
    await sql`DELETE FROM subscriber_topics WHERE subscriber_id = ${id}`.execute(trx);
    if (topics.length) await sql`INSERT INTO subscriber_topics (subscriber_id, topic) VALUES ${sql.join(topics.map((t) => sql`(${id}, ${t})`))}`.execute(trx);
    await sql`UPDATE subscribers SET frequency = ${preferences.frequency}, preferences_at = ${at}, updated_at = ${at} WHERE id = ${id}`.execute(trx);
  });
}

/** Whether a reader's recorded choice is this one. */
export function samePreferences(a: Preferences, b: Preferences): boolean {
  const topics = (p: Preferences) => JSON.stringify([...new Set(p.topics)].sort());
  return a.frequency === b.frequency && topics(a) === topics(b);
}
