import { type Db, statement } from './db.js';
import { complained, findSubscriber, getSubscriber, insertSubscriber, type LeftHow, type SubscriberRow, setName, setStatus } from './subscribers.js';

/**
 * A reader's own changes to their subscription, from `gazette serve`:
 * asking to subscribe (double opt-in), confirming, leaving and coming back.
 * Each is one small transaction, so it takes effect for every message of a
 * running send not yet begun.
 */

/** At most one confirmation email per address in this time. */
export const CONFIRM_INTERVAL_MS = 3600 * 1000;

export interface SubscribeRequest {
  /** The subscriber to mail a confirmation to, when one should go now. */
  mailTo?: SubscriberRow;
  /** Why no mail goes: already subscribed, or asked within the hour. */
  quiet?: 'subscribed' | 'recently-asked' | 'complained';
}

/**
 * A reader asked to subscribe `email`. An unknown address is kept as
 * `pending`; a known one keeps its status until confirmed. A confirmation
 * is due unless the address is subscribed or was mailed one within the
 * hour; the slot is taken here, atomically, so two requests at once mail
 * once.
 */
export function requestSubscription(db: Db, email: string, name: string | undefined, at = new Date()): SubscribeRequest {
  return db
    .transaction((): SubscribeRequest => {
      let row = findSubscriber(db, email);
      if (!row) row = insertSubscriber(db, { email, ...(name ? { name } : {}), status: 'pending', source: 'web' });
      else if (name && row.status !== 'subscribed' && name !== row.name) setName(db, row.id, name);
      if (row.status === 'subscribed') return { quiet: 'subscribed' };
      // A reader who reported the newsletter as spam is never mailed again, not even a confirmation.
      if (complained(row)) return { quiet: 'complained' };
      return reserveConfirmation(db, row.id, at) ? { mailTo: getSubscriber(db, row.id)! } : { quiet: 'recently-asked' };
    })
    .immediate();
}

/** Take the hour's confirmation slot for a subscriber; false when one went out within the hour. */
export function reserveConfirmation(db: Db, id: number, at = new Date()): boolean {
  const since = new Date(at.getTime() - CONFIRM_INTERVAL_MS).toISOString();
  return (
    statement(db, 'UPDATE subscribers SET confirm_sent_at = ? WHERE id = ? AND (confirm_sent_at IS NULL OR confirm_sent_at <= ?)').run(
      at.toISOString(),
      id,
      since,
    ).changes === 1
  );
}

/** Give the slot back when the confirmation could not be mailed, so the reader may try again at once. */
export function releaseConfirmation(db: Db, id: number, previous: string | null): void {
  statement(db, 'UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?').run(previous, id);
}

/** The reader confirmed their address: subscribed (again, if they had left). Confirming twice is fine. */
export function confirmSubscription(db: Db, id: number): 'subscribed' | 'already' {
  const row = getSubscriber(db, id);
  if (!row || row.status === 'subscribed' || complained(row)) return 'already';
  setStatus(db, id, 'subscribed');
  return 'subscribed';
}

/** The reader left, by a mail client's one-click request or the page's button. Twice is fine. */
export function leave(db: Db, id: number, how: LeftHow): 'unsubscribed' | 'already' {
  const row = getSubscriber(db, id);
  if (!row || row.status === 'unsubscribed' || row.status === 'bounced') return 'already';
  setStatus(db, id, 'unsubscribed', how);
  return 'unsubscribed';
}

/** Undo an unsubscribe made by mistake, from the page that confirmed it. A bounced address stays bounced. */
export function undoLeave(db: Db, id: number): 'subscribed' | 'unchanged' {
  const row = getSubscriber(db, id);
  if (row?.status !== 'unsubscribed' || complained(row)) return row?.status === 'subscribed' ? 'subscribed' : 'unchanged';
  setStatus(db, id, 'subscribed');
  return 'subscribed';
}

/** Pending subscribers never asked to confirm (an imported list), a batch at a time, in id order. */
export function unaskedPending(db: Db, after: number, limit: number): SubscriberRow[] {
  return statement(db, "SELECT * FROM subscribers WHERE status = 'pending' AND confirm_sent_at IS NULL AND id > ? ORDER BY id LIMIT ?").all(
    after,
    limit,
  ) as SubscriberRow[];
}
