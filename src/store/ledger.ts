import { type RawBuilder, sql } from 'kysely';
import { enhancedStatus } from '../util/mail.js';
import { now } from './db.js';
import { reportFigures } from './reports.js';
import { all, changes, one, type Q, transact } from './sql.js';
import { type SubscriberRow, setStatus } from './subscribers.js';

/**
 * The delivery ledger: one row per issue and subscriber. A message is
 * recorded as `sending` before its SMTP transaction and as `sent`,
 * `deferred` or `failed` after it, so progress is saved when a message is
 * sent, never when it is fetched. A row left in `sending` by a killed
 * process is sent again on the next run.
 */
export type DeliveryState = 'sending' | 'sent' | 'deferred' | 'failed';

/** A subscriber as the send pipeline reads them. */
export type Recipient = Pick<SubscriberRow, 'id' | 'email' | 'name' | 'email_key'>;

export interface IssueRef {
  /** The send key deliveries are recorded under. */
  key: string;
  slug: string;
  title: string;
  /** The feed id (`tag:` URI). */
  id: string;
}

/**
 * An issue's audience is fixed when its first send begins (`issues.first_sent_at`):
 * a subscriber is owed it when a delivery of it is under way or deferred, or when
 * none was tried yet and they were subscribed by then. Readers who join later
 * start with the next issue; resumed runs and retries keep the audience.
 */
const owedWhere = (issueId: string): RawBuilder<unknown> => sql`s.status = 'subscribed' AND (d.state IN ('sending', 'deferred')
         OR (d.state IS NULL AND COALESCE(s.subscribed_at, s.created_at) <= COALESCE((SELECT first_sent_at FROM issues WHERE key = ${issueId}), '9999')))`;

export async function recordIssue(db: Q, issue: IssueRef): Promise<void> {
  await sql`INSERT INTO issues (key, slug, title, feed_id, first_sent_at) VALUES (${issue.key}, ${issue.slug}, ${issue.title}, ${issue.id}, ${now()})
     ON CONFLICT (key) DO UPDATE SET slug = excluded.slug, title = excluded.title, feed_id = excluded.feed_id`.execute(db);
}

export interface SentIssue {
  key: string;
  slug: string;
  title: string;
  first_sent_at: string;
}

/**
 * An issue the ledger has sent under another key that looks like this one
 * (the same slug or the same title): a changed `id` or slug would mail it
 * to everyone again. Undefined when this key has deliveries already.
 */
export async function lookalikeIssue(db: Q, issue: IssueRef): Promise<SentIssue | undefined> {
  if (await one(db, sql`SELECT 1 FROM deliveries WHERE issue = ${issue.key} LIMIT 1`)) return undefined;
  return one(
    db,
    sql<SentIssue>`SELECT i.key, i.slug, i.title, i.first_sent_at FROM issues i
     WHERE i.key <> ${issue.key} AND (i.slug = ${issue.slug} OR i.title = ${issue.title})
       AND EXISTS (SELECT 1 FROM deliveries d WHERE d.issue = i.key AND d.state = 'sent')
     ORDER BY i.first_sent_at DESC LIMIT 1`,
  );
}

/**
 * The next subscribers (after id `after`) still owed this issue: subscribed,
 * in its audience, and with no `sent` or `failed` delivery. `retry` limits
 * it to the deferred.
 */
export function owedBatch(db: Q, issueId: string, after: number, limit: number, retry: boolean): Promise<Recipient[]> {
  if (retry)
    return all(
      db,
      sql<Recipient>`SELECT s.id, s.email, s.name, s.email_key FROM subscribers s
       JOIN deliveries d ON d.issue = ${issueId} AND d.subscriber_id = s.id
       WHERE s.id > ${after} AND s.status = 'subscribed' AND d.state = 'deferred'
       ORDER BY s.id LIMIT ${limit}`,
    );
  return all(
    db,
    sql<Recipient>`SELECT s.id, s.email, s.name, s.email_key FROM subscribers s
       LEFT JOIN deliveries d ON d.issue = ${issueId} AND d.subscriber_id = s.id
       WHERE s.id > ${after} AND ${owedWhere(issueId)}
       ORDER BY s.id LIMIT ${limit}`,
  );
}

/** How many subscribers are still owed this issue. */
export async function owedCount(db: Q, issueId: string): Promise<number> {
  const row = await one(
    db,
    sql<{ n: number }>`SELECT COUNT(*) AS n FROM subscribers s
       LEFT JOIN deliveries d ON d.issue = ${issueId} AND d.subscriber_id = s.id
       WHERE ${owedWhere(issueId)}`,
  );
  return row!.n;
}

/**
 * Just before the SMTP transaction: check, in one statement, that the
 * subscriber is still subscribed and still owed the issue, and record the
 * attempt. Returns false when the message must not be sent.
 */
export async function beginDelivery(db: Q, issueId: string, subscriberId: number, messageId: string): Promise<boolean> {
  const t = now();
  // One statement, so one implicit transaction: only for a subscriber still subscribed, and
  // never over a delivery that is already sent or failed.
  const begun = await changes(
    db,
    sql`INSERT INTO deliveries (issue, subscriber_id, state, attempts, message_id, created_at, updated_at)
       SELECT CAST(${issueId} AS TEXT), id, 'sending', 1, CAST(${messageId} AS TEXT), CAST(${t} AS TEXT), CAST(${t} AS TEXT)
       FROM subscribers WHERE id = ${subscriberId} AND status = 'subscribed'
       ON CONFLICT (issue, subscriber_id) DO UPDATE SET state = 'sending', attempts = deliveries.attempts + 1, updated_at = excluded.updated_at
       WHERE deliveries.state NOT IN ('sent', 'failed')`,
  );
  return begun === 1;
}

export interface Outcome {
  state: 'sent' | 'deferred' | 'failed';
  response: string;
  /** A permanent refusal of the address: mark the subscriber bounced. */
  bounce?: boolean;
}

/** Right after the SMTP transaction: record what happened. */
export async function finishDelivery(db: Q, issueId: string, subscriberId: number, outcome: Outcome): Promise<void> {
  const t = now();
  const sentAt = outcome.state === 'sent' ? sql`sent_at = ${t},` : sql``;
  const record = (on: Q) =>
    sql`UPDATE deliveries SET ${sentAt} state = ${outcome.state}, last_response = ${outcome.response.slice(0, 1000)}, updated_at = ${t}
        WHERE issue = ${issueId} AND subscriber_id = ${subscriberId}`.execute(on);
  if (!outcome.bounce) {
    await record(db);
    return;
  }
  await transact(db, async (trx) => {
    await record(trx);
    await sql`UPDATE deliveries SET bounce = 'hard', bounce_status = ${enhancedStatus(outcome.response) ?? null}, bounce_diagnostic = ${outcome.response.slice(0, 1000)},
                bounced_at = ${t}
              WHERE issue = ${issueId} AND subscriber_id = ${subscriberId}`.execute(trx);
    await setStatus(trx, subscriberId, 'bounced');
  });
}

/** The ledger of one database, as the send pipeline's store (`SendStore` in send/store.ts). */
export function ledger(db: Q) {
  return {
    recordIssue: (issue: IssueRef) => recordIssue(db, issue),
    owedCount: (issueId: string) => owedCount(db, issueId),
    owedBatch: (issueId: string, after: number, limit: number, retry: boolean) => owedBatch(db, issueId, after, limit, retry),
    beginDelivery: (issueId: string, subscriberId: number, messageId: string) => beginDelivery(db, issueId, subscriberId, messageId),
    finishDelivery: (issueId: string, subscriberId: number, outcome: Outcome) => finishDelivery(db, issueId, subscriberId, outcome),
  };
}

export interface IssueStatus {
  key: string;
  slug: string;
  title: string;
  first_sent_at: string;
  sent: number;
  deferred: number;
  failed: number;
  sending: number;
  /** Subscribed, and owed the issue (never tried, deferred or interrupted). */
  owed: number;
  /** Refused for good at sending, or reported dead after. */
  hard: number;
  /** Reported failed this time (a full mailbox, a 4.x.x failure, a policy refusal). */
  soft: number;
  /** Reported as spam by the reader. */
  complaints: number;
  /** Accepted by the server, then reported bounced. */
  bouncedAfter: number;
  /** Accepted and not reported bounced. */
  delivered: number;
  /** Hard bounces per message tried (sent or failed). */
  hardRate: number;
  /** Complaints per message delivered. */
  complaintRate: number;
}

/** Delivery counts per issue sent (newest first), or for the issue with this slug. */
export async function deliveryStatus(db: Q, slug?: string): Promise<IssueStatus[]> {
  type Row = Pick<IssueStatus, 'key' | 'slug' | 'title' | 'first_sent_at'>;
  const issues = await all(db, slug ? sql<Row>`SELECT * FROM issues WHERE slug = ${slug}` : sql<Row>`SELECT * FROM issues ORDER BY first_sent_at DESC`);
  const statuses: IssueStatus[] = [];
  for (const issue of issues) {
    const status: IssueStatus = {
      ...issue,
      sent: 0,
      deferred: 0,
      failed: 0,
      sending: 0,
      owed: await owedCount(db, issue.key),
      ...(await reportFigures(db, issue.key)),
      delivered: 0,
      hardRate: 0,
      complaintRate: 0,
    };
    for (const row of await all(
      db,
      sql<{ state: DeliveryState; n: number }>`SELECT state, COUNT(*) AS n FROM deliveries WHERE issue = ${issue.key} GROUP BY state`,
    ))
      status[row.state] = row.n;
    status.delivered = status.sent - status.bouncedAfter;
    status.hardRate = status.hard / Math.max(1, status.sent + status.failed);
    status.complaintRate = status.complaints / Math.max(1, status.delivered);
    statuses.push(status);
  }
  return statuses;
}
