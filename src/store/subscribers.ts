import { sql } from 'kysely';
import { checkEmail } from '../util/email.js';
import { now } from './db.js';
import { all, one, type Q } from './sql.js';

export { checkEmail };

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
  /** Every issue (`daily`), or the weekly roll-up. */
  frequency: 'daily' | 'weekly';
  /** When they last chose their topics or frequency. */
  preferences_at: string | null;
}

/** How a subscriber left the list. */
export type LeftHow = 'one-click' | 'page' | 'command' | 'bounce' | 'complaint' | 'import';

/** A reader who reported the newsletter as spam: never mailed again, whatever asks (an import, a form, `add --force`). */
export const complained = (row: Pick<SubscriberRow, 'status' | 'unsubscribed_how'> | undefined): boolean =>
  row?.status === 'unsubscribed' && row.unsubscribed_how === 'complaint';

export const emailKey = (email: string): string => email.trim().toLowerCase();

export function findSubscriber(db: Q, email: string): Promise<SubscriberRow | undefined> {
  return one(db, sql<SubscriberRow>`SELECT * FROM subscribers WHERE email_key = ${emailKey(email)}`);
}

export function getSubscriber(db: Q, id: number): Promise<SubscriberRow | undefined> {
  return one(db, sql<SubscriberRow>`SELECT * FROM subscribers WHERE id = ${id}`);
}

export interface NewSubscriber {
  email: string;
  name?: string | undefined;
  status: Status;
  source: string;
}

export async function insertSubscriber(db: Q, s: NewSubscriber): Promise<SubscriberRow> {
  const t = now();
  const left = s.status === 'unsubscribed' || s.status === 'bounced';
  const row = await one(
    db,
    sql<SubscriberRow>`INSERT INTO subscribers (email, email_key, name, status, source, created_at, updated_at, subscribed_at, unsubscribed_at, unsubscribed_how)
       VALUES (${s.email}, ${emailKey(s.email)}, ${s.name ?? ''}, ${s.status}, ${s.source}, ${t}, ${t},
               ${s.status === 'subscribed' ? t : null}, ${left ? t : null}, ${left ? 'import' : null})
       RETURNING *`,
  );
  return row!;
}

/** Change a subscriber's status, keeping the dates that go with it, and how they left. */
export async function setStatus(db: Q, id: number, status: Status, how?: LeftHow): Promise<void> {
  const t = now();
  const left = status === 'unsubscribed' || status === 'bounced';
  const since = status === 'subscribed' ? sql`subscribed_at = ${t},` : sql``;
  const leaving = left ? sql`unsubscribed_at = ${t}, unsubscribed_how = ${how ?? (status === 'bounced' ? 'bounce' : null)},` : sql``;
  await sql`UPDATE subscribers SET ${since} ${leaving} status = ${status}, updated_at = ${t} WHERE id = ${id}`.execute(db);
}

export async function setName(db: Q, id: number, name: string): Promise<void> {
  await sql`UPDATE subscribers SET name = ${name}, updated_at = ${now()} WHERE id = ${id}`.execute(db);
}

/** Every subscriber, in the order they joined, read a batch at a time. */
export async function* allSubscribers(db: Q, batch = 1000): AsyncGenerator<SubscriberRow> {
  let after = 0;
  for (;;) {
    const rows = await all(db, sql<SubscriberRow>`SELECT * FROM subscribers WHERE id > ${after} ORDER BY id LIMIT ${batch}`);
    yield* rows;
    if (rows.length < batch) return;
    after = rows.at(-1)!.id;
  }
}

export async function countByStatus(db: Q): Promise<Record<Status, number>> {
  const counts = { pending: 0, subscribed: 0, unsubscribed: 0, bounced: 0 };
  for (const row of await all(db, sql<{ status: Status; n: number }>`SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status`)) {
    counts[row.status] = row.n;
  }
  return counts;
}
