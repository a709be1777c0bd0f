import { sql } from 'kysely';
import { claimEvent, countHit, releaseEvent } from './events.js';
import { type Preferences, setPreferences, topicsOf } from './preferences.js';
import { onPostgres, type Q } from './sql.js';
import { getSubscriber, type LeftHow } from './subscribers.js';
import { type ConfirmationCaps, type ConfirmationSlot, confirmSubscription, leave, releaseSlot, requestSubscription, undoLeave } from './subscriptions.js';

/**
 * The subscriber store as `serve` uses it (its `ReaderStore`, in
 * serve/deps.ts), on SQLite or PostgreSQL: each call one statement or one
 * transaction.
 */
export function readerStore(db: Q) {
  return {
    subscriber: (id: number) => getSubscriber(db, id),
    requestSubscription: (email: string, name: string | undefined, caps: ConfirmationCaps, at: Date) => requestSubscription(db, email, name, caps, at),
    releaseSlot: (slot: ConfirmationSlot) => releaseSlot(db, slot),
    confirm: (id: number) => confirmSubscription(db, id),
    leave: (id: number, how: LeftHow) => leave(db, id, how),
    undoLeave: (id: number) => undoLeave(db, id),
    /** What a reader chose (topics, none: everything; how often). */
    preferences: async (id: number): Promise<Preferences> => {
      const row = await getSubscriber(db, id);
      return { topics: (await topicsOf(db, [id])).get(id) ?? [], frequency: row?.frequency ?? 'daily' };
    },
    setPreferences: (id: number, preferences: Preferences, at: Date) => setPreferences(db, id, preferences, at.toISOString()),
    claimEvent: (id: string, at: Date, keepUntil: Date | undefined) => claimEvent(db, id, at, keepUntil),
    releaseEvent: (id: string) => releaseEvent(db, id),
    countHit: (key: string, windowMs: number, at: Date) => countHit(db, key, windowMs, at),
    /** Whether several processes may serve this list (PostgreSQL): then they share their request limits. */
    shared: onPostgres(db),
    /** Throws when the database cannot be read (the health check). */
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
  };
}
