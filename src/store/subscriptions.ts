import { sql } from 'kysely';
import { all, LOCKS, one, onPostgres, type Q, transact } from './sql.js';
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
  /** Its row in `confirmations_sent`. */
  id: number;
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
export function requestSubscription(db: Q, email: string, name: string | undefined, caps: ConfirmationCaps, at = new Date()): Promise<SubscribeRequest> {
  return transact(db, async (trx): Promise<SubscribeRequest> => {
    const { mailbox, domain } = mailboxOf(email);
    // On PostgreSQL, requests to several `serve` replicas take the caps one at a time (SQLite's BEGIN IMMEDIATE does so already).
    await lockConfirmations(trx);
    const since = new Date(at.getTime() - CONFIRM_INTERVAL_MS).toISOString();
    await sql`DELETE FROM confirmations_sent WHERE sent_at < ${since}`.execute(trx);
    const total = (await one(trx, sql<{ n: number }>`SELECT COUNT(*) AS n FROM confirmations_sent`))!.n;
    const toDomain = (await one(trx, sql<{ n: number }>`SELECT COUNT(*) AS n FROM confirmations_sent WHERE domain = ${domain}`))!.n;
    if (total >= caps.perHour || toDomain >= caps.perDomainPerHour) return { busy: true };
    let row = await findSubscriber(trx, email);
    if (!row) row = await insertSubscriber(trx, { email, ...(name ? { name } : {}), status: 'pending', source: 'web' });
    else if (name && row.status !== 'subscribed' && name !== row.name) await setName(trx, row.id, name);
    if (row.status === 'subscribed') return { quiet: 'subscribed' };
    // A reader who reported the newsletter as spam is never mailed again, not even a confirmation.
    if (complained(row)) return { quiet: 'complained' };
    if (await one(trx, sql`SELECT 1 FROM confirmations_sent WHERE mailbox = ${mailbox}`)) return { quiet: 'recently-asked' };
    const id = await recordConfirmation(trx, mailbox, domain, at);
    await sql`UPDATE subscribers SET confirm_sent_at = ${at.toISOString()} WHERE id = ${row.id}`.execute(trx);
    return { mailTo: (await getSubscriber(trx, row.id))!, slot: { id, subscriberId: row.id, previous: row.confirm_sent_at } };
  });
}

/** PostgreSQL: one caps check at a time, for the length of the transaction (an advisory lock; nothing on SQLite, whose write lock is taken already). */
async function lockConfirmations(trx: Q): Promise<void> {
  if (onPostgres(trx)) await sql`SELECT pg_advisory_xact_lock(${LOCKS.confirmations})`.execute(trx);
}

async function recordConfirmation(trx: Q, mailbox: string, domain: string, at: Date): Promise<number> {
  const row = await one(
    trx,
    sql<{ id: number }>`INSERT INTO confirmations_sent (mailbox, domain, sent_at) VALUES (${mailbox}, ${domain}, ${at.toISOString()}) RETURNING id`,
  );
  return row!.id;
}

/** Give a slot back when the confirmation could not be mailed, so the reader may try again at once. */
export function releaseSlot(db: Q, slot: ConfirmationSlot): Promise<void> {
  return transact(db, async (trx) => {
    await sql`DELETE FROM confirmations_sent WHERE id = ${slot.id}`.execute(trx);
    await sql`UPDATE subscribers SET confirm_sent_at = ${slot.previous} WHERE id = ${slot.subscriberId}`.execute(trx);
  });
}

/**
 * Take the hour's confirmation slot for a subscriber (`subscribers invite`,
 * the author's own run: no hourly caps); undefined when one went out within
 * the hour. Recorded for the mailbox too, so the form mails it no second one.
 */
export function reserveConfirmation(db: Q, id: number, at = new Date()): Promise<ConfirmationSlot | undefined> {
  const since = new Date(at.getTime() - CONFIRM_INTERVAL_MS).toISOString();
  return transact(db, async (trx): Promise<ConfirmationSlot | undefined> => {
    // Locked as it is read on PostgreSQL, so that two invites running at once mail a reader once.
    const row = onPostgres(trx) ? await one(trx, sql<SubscriberRow>`SELECT * FROM subscribers WHERE id = ${id} FOR UPDATE`) : await getSubscriber(trx, id);
    if (!row || (row.confirm_sent_at !== null && row.confirm_sent_at > since)) return undefined;
    await sql`UPDATE subscribers SET confirm_sent_at = ${at.toISOString()} WHERE id = ${id}`.execute(trx);
    const { mailbox, domain } = mailboxOf(row.email);
    return { id: await recordConfirmation(trx, mailbox, domain, at), subscriberId: id, previous: row.confirm_sent_at };
  });
}

/** The reader confirmed their address: subscribed (again, if they had left). Confirming twice is fine. */
export function confirmSubscription(db: Q, id: number): Promise<'subscribed' | 'already'> {
  return transact(db, async (trx) => {
    const row = await getSubscriber(trx, id);
    if (!row || row.status === 'subscribed' || complained(row)) return 'already';
    await setStatus(trx, id, 'subscribed');
    return 'subscribed';
  });
}

/** The reader left, by a mail client's one-click request or the page's button. Twice is fine. */
export function leave(db: Q, id: number, how: LeftHow): Promise<'unsubscribed' | 'already'> {
  return transact(db, async (trx) => {
    const row = await getSubscriber(trx, id);
    if (!row || row.status === 'unsubscribed' || row.status === 'bounced') return 'already';
    await setStatus(trx, id, 'unsubscribed', how);
    return 'unsubscribed';
  });
}

/**
 * Undo an unsubscribe the reader just made by mistake, from the page that
 * confirmed it (the caller checks the undo token). Only a reader's own
 * leaving is undone: not a removal by the author, a complaint, a bounce.
 */
export function undoLeave(db: Q, id: number): Promise<'subscribed' | 'unchanged'> {
  return transact(db, async (trx) => {
    const row = await getSubscriber(trx, id);
    if (row?.status !== 'unsubscribed' || (row.unsubscribed_how !== 'one-click' && row.unsubscribed_how !== 'page'))
      return row?.status === 'subscribed' ? 'subscribed' : 'unchanged';
    await setStatus(trx, id, 'subscribed');
    return 'subscribed';
  });
}

/** Pending subscribers never asked to confirm (an imported list), a batch at a time, in id order. */
export function unaskedPending(db: Q, after: number, limit: number): Promise<SubscriberRow[]> {
  return all(
    db,
    sql<SubscriberRow>`SELECT * FROM subscribers WHERE status = 'pending' AND confirm_sent_at IS NULL AND id > ${after} ORDER BY id LIMIT ${limit}`,
  );
}

/** How many pending subscribers were never asked to confirm (`subscribers invite` asks them). */
export async function unaskedPendingCount(db: Q): Promise<number> {
  return (await one(db, sql<{ n: number }>`SELECT count(*) AS n FROM subscribers WHERE status = 'pending' AND confirm_sent_at IS NULL`))!.n;
}
