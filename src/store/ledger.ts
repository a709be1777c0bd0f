import { enhancedStatus } from '../util/mail.js';
import type { Db } from './db.js';
import { now, statement } from './db.js';
import { reportFigures } from './reports.js';
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

// One statement, so one implicit transaction: only for a subscriber still subscribed, and
// never over a delivery that is already sent or failed.
const BEGIN_SQL = `INSERT INTO deliveries (issue, subscriber_id, state, attempts, message_id, created_at, updated_at)
       SELECT ?, id, 'sending', 1, ?, ?, ? FROM subscribers WHERE id = ? AND status = 'subscribed'
       ON CONFLICT (issue, subscriber_id) DO UPDATE SET state = 'sending', attempts = attempts + 1, updated_at = excluded.updated_at
       WHERE deliveries.state NOT IN ('sent', 'failed')`;

/**
 * An issue's audience is fixed when its first send begins (`issues.first_sent_at`):
 * a subscriber is owed it when a delivery of it is under way or deferred, or when
 * none was tried yet and they were subscribed by then. Readers who join later
 * start with the next issue; resumed runs and retries keep the audience.
 */
const OWED_WHERE = `s.status = 'subscribed' AND (d.state IN ('sending', 'deferred')
         OR (d.state IS NULL AND COALESCE(s.subscribed_at, s.created_at) <= COALESCE((SELECT first_sent_at FROM issues WHERE key = ?), '9999')))`;

const OWED_SQL = `SELECT s.id, s.email, s.name, s.email_key FROM subscribers s
       LEFT JOIN deliveries d ON d.issue = ? AND d.subscriber_id = s.id
       WHERE s.id > ? AND ${OWED_WHERE}
       ORDER BY s.id LIMIT ?`;

const DEFERRED_SQL = `SELECT s.id, s.email, s.name, s.email_key FROM subscribers s
       JOIN deliveries d ON d.issue = ? AND d.subscriber_id = s.id
       WHERE s.id > ? AND s.status = 'subscribed' AND d.state = 'deferred'
       ORDER BY s.id LIMIT ?`;

const FINISH_SQL = `UPDATE deliveries SET state = ?, last_response = ?, updated_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END
       WHERE issue = ? AND subscriber_id = ?`;

export function recordIssue(db: Db, issue: IssueRef): void {
  statement(
    db,
    `INSERT INTO issues (key, slug, title, feed_id, first_sent_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET slug = excluded.slug, title = excluded.title, feed_id = excluded.feed_id`,
  ).run(issue.key, issue.slug, issue.title, issue.id, now());
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
export function lookalikeIssue(db: Db, issue: IssueRef): SentIssue | undefined {
  if (statement(db, 'SELECT 1 FROM deliveries WHERE issue = ? LIMIT 1').get(issue.key)) return undefined;
  return statement(
    db,
    `SELECT i.key, i.slug, i.title, i.first_sent_at FROM issues i
     WHERE i.key <> ? AND (i.slug = ? OR i.title = ?) AND EXISTS (SELECT 1 FROM deliveries d WHERE d.issue = i.key AND d.state = 'sent')
     ORDER BY i.first_sent_at DESC LIMIT 1`,
  ).get(issue.key, issue.slug, issue.title) as SentIssue | undefined;
}

/**
 * The next subscribers (after id `after`) still owed this issue: subscribed,
 * in its audience, and with no `sent` or `failed` delivery. `retry` limits
 * it to the deferred.
 */
export function owedBatch(db: Db, issueId: string, after: number, limit: number, retry: boolean): Recipient[] {
  if (retry) return statement(db, DEFERRED_SQL).all(issueId, after, limit) as Recipient[];
  return statement(db, OWED_SQL).all(issueId, after, issueId, limit) as Recipient[];
}

/** How many subscribers are still owed this issue. */
export function owedCount(db: Db, issueId: string): number {
  const row = statement(
    db,
    `SELECT COUNT(*) AS n FROM subscribers s
       LEFT JOIN deliveries d ON d.issue = ? AND d.subscriber_id = s.id
       WHERE ${OWED_WHERE}`,
  ).get(issueId, issueId) as { n: number };
  return row.n;
}

/**
 * Just before the SMTP transaction: check, in one statement, that the
 * subscriber is still subscribed and still owed the issue, and record the
 * attempt. Returns false when the message must not be sent.
 */
export function beginDelivery(db: Db, issueId: string, subscriberId: number, messageId: string): boolean {
  const t = now();
  return statement(db, BEGIN_SQL).run(issueId, messageId, t, t, subscriberId).changes === 1;
}

export interface Outcome {
  state: 'sent' | 'deferred' | 'failed';
  response: string;
  /** A permanent refusal of the address: mark the subscriber bounced. */
  bounce?: boolean;
}

/** Right after the SMTP transaction: record what happened. */
export function finishDelivery(db: Db, issueId: string, subscriberId: number, outcome: Outcome): void {
  const t = now();
  const record = () => statement(db, FINISH_SQL).run(outcome.state, outcome.response.slice(0, 1000), t, outcome.state, t, issueId, subscriberId);
  if (!outcome.bounce) {
    record();
    return;
  }
  db.transaction(() => {
    record();
    statement(db, `UPDATE deliveries SET bounce = 'hard', bounce_status = ?, bounce_diagnostic = ?, bounced_at = ? WHERE issue = ? AND subscriber_id = ?`).run(
      enhancedStatus(outcome.response) ?? null,
      outcome.response.slice(0, 1000),
      t,
      issueId,
      subscriberId,
    );
    setStatus(db, subscriberId, 'bounced');
  }).immediate();
}

/** The ledger of one database, as the send pipeline's store (`SendStore` in send/store.ts). */
export function ledger(db: Db) {
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
export function deliveryStatus(db: Db, slug?: string): IssueStatus[] {
  const issues = (
    slug ? db.prepare('SELECT * FROM issues WHERE slug = ?').all(slug) : db.prepare('SELECT * FROM issues ORDER BY first_sent_at DESC').all()
  ) as Array<Pick<IssueStatus, 'key' | 'slug' | 'title' | 'first_sent_at'>>;
  const counts = db.prepare('SELECT state, COUNT(*) AS n FROM deliveries WHERE issue = ? GROUP BY state');
  return issues.map((issue) => {
    const status: IssueStatus = {
      ...issue,
      sent: 0,
      deferred: 0,
      failed: 0,
      sending: 0,
      owed: owedCount(db, issue.key),
      ...reportFigures(db, issue.key),
      delivered: 0,
      hardRate: 0,
      complaintRate: 0,
    };
    for (const row of counts.all(issue.key) as Array<{ state: DeliveryState; n: number }>) status[row.state] = row.n;
    status.delivered = status.sent - status.bouncedAfter;
    status.hardRate = status.hard / Math.max(1, status.sent + status.failed);
    status.complaintRate = status.complaints / Math.max(1, status.delivered);
    return status;
  });
}
