import { type Db, statement } from './db.js';
import { complained, findSubscriber, getSubscriber, insertSubscriber, type LeftHow, type SubscriberRow, setName, setStatus } from './subscribers.js';

/**
 * A reader's own changes to their subscription, from `gazette serve`:
 * asking to subscribe (double opt-in), confirming, leaving and coming back.
 * Each is one small transaction, so it takes effect for every message of a
 * running send not yet begun.
 */

/** At most one confirmation email per mailbox in this time. */
export const CONFIRM_INTERVAL_MS = 3600 * 1000;

/** How many confirmation emails `serve` may mail in an hour: in all, and to one domain. */
export interface ConfirmationCaps {
  perHour: number;
  perDomainPerHour: number;
}

/** The caps from `server.confirmations_per_hour`: a tenth of it (at least 20) for any one domain. */
export const confirmationCaps = (perHour: number): ConfirmationCaps => ({ perHour, perDomainPerHour: Math.max(20, Math.floor(perHour / 10)) });

/** Domains whose mailboxes ignore dots in the local part (Gmail's). */
const DOTLESS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The mailbox an address reaches, as far as one can tell from outside:
 * lower-cased, without its `+tag`, and for Gmail without dots (and
 * googlemail.com as gmail.com). `ann+1@`, `Ann+2@` and `a.nn@gmail.com`
 * reach one inbox, and count as one for the hourly confirmation.
 */
export function mailboxOf(email: string): { mailbox: string; domain: string } {
  const at = email.lastIndexOf('@');
  let domain = email.slice(at + 1).toLowerCase();
  let local = email.slice(0, at).toLowerCase();
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (DOTLESS.has(domain)) {
    domain = 'gmail.com';
    local = local.replaceAll('.', '');
  }
  return { mailbox: `${local}@${domain}`, domain };
}

export interface SubscribeRequest {
  /** The subscriber to mail a confirmation to, when one should go now, and the slot it took. */
  mailTo?: SubscriberRow;
  slot?: ConfirmationSlot;
  /** Why no mail goes: already subscribed, asked within the hour, a complainer. */
  quiet?: 'subscribed' | 'recently-asked' | 'complained';
  /** The hour's confirmations are spent (in all, or for the address's domain): the reader is told to come back. */
  busy?: true;
}

/** A confirmation's place in the hour, given back if it cannot be mailed. */
export interface ConfirmationSlot {
  rowid: number;
  subscriberId: number;
  /** The subscriber's confirm_sent_at before. */
  previous: string | null;
}

/**
 * A reader asked to subscribe `email`. The hour's caps are checked first,
 * the same for every address (so an answer says nothing of the address
 * itself). An unknown address is kept as `pending`; a known one keeps its
 * status until confirmed. A confirmation is due unless the address is
 * subscribed or its mailbox was mailed one within the hour; the slot is
 * taken here, atomically, so two requests at once mail once.
 */
export function requestSubscription(db: Db, email: string, name: string | undefined, caps: ConfirmationCaps, at = new Date()): SubscribeRequest {
  return db
    .transaction((): SubscribeRequest => {
      const { mailbox, domain } = mailboxOf(email);
      const since = new Date(at.getTime() - CONFIRM_INTERVAL_MS).toISOString();
      statement(db, 'DELETE FROM confirmations_sent WHERE sent_at < ?').run(since);
      const total = (statement(db, 'SELECT COUNT(*) AS n FROM confirmations_sent').get() as { n: number }).n;
      const toDomain = (statement(db, 'SELECT COUNT(*) AS n FROM confirmations_sent WHERE domain = ?').get(domain) as { n: number }).n;
      if (total >= caps.perHour || toDomain >= caps.perDomainPerHour) return { busy: true };
      let row = findSubscriber(db, email);
      if (!row) row = insertSubscriber(db, { email, ...(name ? { name } : {}), status: 'pending', source: 'web' });
      else if (name && row.status !== 'subscribed' && name !== row.name) setName(db, row.id, name);
      if (row.status === 'subscribed') return { quiet: 'subscribed' };
      // A reader who reported the newsletter as spam is never mailed again, not even a confirmation.
      if (complained(row)) return { quiet: 'complained' };
      if (statement(db, 'SELECT 1 FROM confirmations_sent WHERE mailbox = ?').get(mailbox)) return { quiet: 'recently-asked' };
      const rowid = Number(
        statement(db, 'INSERT INTO confirmations_sent (mailbox, domain, sent_at) VALUES (?, ?, ?)').run(mailbox, domain, at.toISOString()).lastInsertRowid,
      );
      statement(db, 'UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?').run(at.toISOString(), row.id);
      return { mailTo: getSubscriber(db, row.id)!, slot: { rowid, subscriberId: row.id, previous: row.confirm_sent_at } };
    })
    .immediate();
}

/** Give a slot back when the confirmation could not be mailed, so the reader may try again at once. */
export function releaseSlot(db: Db, slot: ConfirmationSlot): void {
  db.transaction(() => {
    statement(db, 'DELETE FROM confirmations_sent WHERE rowid = ?').run(slot.rowid);
    releaseConfirmation(db, slot.subscriberId, slot.previous);
  })();
}

/**
 * Take the hour's confirmation slot for a subscriber (`subscribers invite`,
 * the author's own run: no hourly caps); undefined when one went out within
 * the hour. Recorded for the mailbox too, so the form mails it no second one.
 */
export function reserveConfirmation(db: Db, id: number, at = new Date()): ConfirmationSlot | undefined {
  const since = new Date(at.getTime() - CONFIRM_INTERVAL_MS).toISOString();
  return db.transaction((): ConfirmationSlot | undefined => {
    const row = getSubscriber(db, id);
    if (!row || (row.confirm_sent_at !== null && row.confirm_sent_at > since)) return undefined;
    statement(db, 'UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?').run(at.toISOString(), id);
    const { mailbox, domain } = mailboxOf(row.email);
    const rowid = Number(
      statement(db, 'INSERT INTO confirmations_sent (mailbox, domain, sent_at) VALUES (?, ?, ?)').run(mailbox, domain, at.toISOString()).lastInsertRowid,
    );
    return { rowid, subscriberId: id, previous: row.confirm_sent_at };
  })();
}

/** Give the slot back when the confirmation could not be mailed, so the reader may try again at once. */
function releaseConfirmation(db: Db, id: number, previous: string | null): void {
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

/**
 * Undo an unsubscribe the reader just made by mistake, from the page that
 * confirmed it (the caller checks the undo token). Only a reader's own
 * leaving is undone: not a removal by the author, a complaint, a bounce.
 */
export function undoLeave(db: Db, id: number): 'subscribed' | 'unchanged' {
  const row = getSubscriber(db, id);
  if (row?.status !== 'unsubscribed' || (row.unsubscribed_how !== 'one-click' && row.unsubscribed_how !== 'page'))
    return row?.status === 'subscribed' ? 'subscribed' : 'unchanged';
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

/** How many pending subscribers were never asked to confirm (`subscribers invite` asks them). */
export function unaskedPendingCount(db: Db): number {
  return (statement(db, "SELECT count(*) AS n FROM subscribers WHERE status = 'pending' AND confirm_sent_at IS NULL").get() as { n: number }).n;
}
