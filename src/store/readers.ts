import type { Db } from './db.js';
import { claimEvent, releaseEvent } from './events.js';
import { getSubscriber, type LeftHow } from './subscribers.js';
import { type ConfirmationCaps, type ConfirmationSlot, confirmSubscription, leave, releaseSlot, requestSubscription, undoLeave } from './subscriptions.js';

/**
 * The SQLite subscriber store as `serve` uses it (its `ReaderStore`, in
 * serve/deps.ts): each call one statement or one transaction. PostgreSQL
 * gives the same interface a second implementation.
 */
export function readerStore(db: Db) {
  return {
    subscriber: (id: number) => getSubscriber(db, id),
    requestSubscription: (email: string, name: string | undefined, caps: ConfirmationCaps, at: Date) => requestSubscription(db, email, name, caps, at),
    releaseSlot: (slot: ConfirmationSlot) => releaseSlot(db, slot),
    confirm: (id: number) => confirmSubscription(db, id),
    leave: (id: number, how: LeftHow) => leave(db, id, how),
    undoLeave: (id: number) => undoLeave(db, id),
    claimEvent: (id: string, at: Date, keepUntil: Date | undefined) => claimEvent(db, id, at, keepUntil),
    releaseEvent: (id: string) => releaseEvent(db, id),
    /** Throws when the database cannot be read (the health check). */
    ping: () => {
      db.prepare('SELECT 1').get();
    },
  };
}
