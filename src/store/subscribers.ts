import { checkEmail } from '../util/email.js';
import type { Db } from './db.js';

export { checkEmail };

import { now, statement } from './db.js';

export type Status = 'pending' | 'subscribed' | 'unsubscribed' | 'bounced';
export const STATUSES: readonly Status[] = ['pending', 'subscribed', 'unsubscribed', 'bounced'];

export interface SubscriberRow {
  id: number;
  email: string;
  /** The address lower-cased: unique without regard to case. */
  email_key: string;
  name: string;
  status: Status;
  source: string;
  created_at: string;
  updated_at: string;
  subscribed_at: string | null;
  unsubscribed_at: string | null;
  /** How they left: one-click, page, command, bounce, complaint or import. */
  unsubscribed_how: LeftHow | null;
  /** When a confirmation was last mailed to them. */
  confirm_sent_at: string | null;
}

/** How a subscriber left the list. */
export type LeftHow = 'one-click' | 'page' | 'command' | 'bounce' | 'complaint' | 'import';

/** A reader who reported the newsletter as spam: never mailed again, whatever asks (an import, a form, `add --force`). */
export const complained = (row: Pick<SubscriberRow, 'status' | 'unsubscribed_how'> | undefined): boolean =>
  row?.status === 'unsubscribed' && row.unsubscribed_how === 'complaint';

export const emailKey = (email: string): string => email.trim().toLowerCase();

export function findSubscriber(db: Db, email: string): SubscriberRow | undefined {
  return statement(db, 'SELECT * FROM subscribers WHERE email_key = ?').get(emailKey(email)) as SubscriberRow | undefined;
}

export function getSubscriber(db: Db, id: number): SubscriberRow | undefined {
  return statement(db, 'SELECT * FROM subscribers WHERE id = ?').get(id) as SubscriberRow | undefined;
}

export interface NewSubscriber {
  email: string;
  name?: string;
  status: Status;
  source: string;
}

export function insertSubscriber(db: Db, s: NewSubscriber): SubscriberRow {
  const t = now();
  const info = statement(
    db,
    `INSERT INTO subscribers (email, email_key, name, status, source, created_at, updated_at, subscribed_at, unsubscribed_at, unsubscribed_how)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    s.email,
    emailKey(s.email),
    s.name ?? '',
    s.status,
    s.source,
    t,
    t,
    s.status === 'subscribed' ? t : null,
    s.status === 'unsubscribed' || s.status === 'bounced' ? t : null,
    s.status === 'unsubscribed' || s.status === 'bounced' ? 'import' : null,
  );
  return getSubscriber(db, Number(info.lastInsertRowid))!;
}

/** Change a subscriber's status, keeping the dates that go with it, and how they left. */
export function setStatus(db: Db, id: number, status: Status, how?: LeftHow): void {
  const t = now();
  const left = status === 'unsubscribed' || status === 'bounced';
  statement(
    db,
    `UPDATE subscribers SET status = ?, updated_at = ?,
       subscribed_at = CASE WHEN ? = 'subscribed' THEN ? ELSE subscribed_at END,
       unsubscribed_at = CASE WHEN ? THEN ? ELSE unsubscribed_at END,
       unsubscribed_how = CASE WHEN ? THEN ? ELSE unsubscribed_how END
     WHERE id = ?`,
  ).run(status, t, status, t, left ? 1 : 0, t, left ? 1 : 0, how ?? (status === 'bounced' ? 'bounce' : null), id);
}

export function setName(db: Db, id: number, name: string): void {
  statement(db, 'UPDATE subscribers SET name = ?, updated_at = ? WHERE id = ?').run(name, now(), id);
}

/** Every subscriber, in the order they joined, read a batch at a time. */
export function* allSubscribers(db: Db, batch = 1000): Generator<SubscriberRow> {
  const page = statement(db, 'SELECT * FROM subscribers WHERE id > ? ORDER BY id LIMIT ?');
  let after = 0;
  for (;;) {
    const rows = page.all(after, batch) as SubscriberRow[];
    yield* rows;
    if (rows.length < batch) return;
    after = rows.at(-1)!.id;
  }
}

export function countByStatus(db: Db): Record<Status, number> {
  const counts = { pending: 0, subscribed: 0, unsubscribed: 0, bounced: 0 };
  for (const row of statement(db, 'SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status').all() as Array<{ status: Status; n: number }>) {
    counts[row.status] = row.n;
  }
  return counts;
}
