import type { Db } from './db.js';
import { now, statement } from './db.js';
import { getSubscriber, setStatus } from './subscribers.js';

/**
 * What comes back after a delivery: bounces and complaints, recorded on the
 * delivery they are about and applied to the subscriber. Each report is
 * kept by its identity, so processing the same report twice (the mailbox
 * read again, a webhook retried) changes nothing.
 */

/** `hard`: the address is dead; `soft`: this time it failed; `complaint`: marked as spam; `none`: changes nothing (an auto-reply, a delay). */
export type ReportKind = 'hard' | 'soft' | 'complaint' | 'none';

export interface ReportRecord {
  /** The report's identity: its Message-ID and recipient, or a provider's event id. */
  id: string;
  /** `mail`, `ses`, `postmark` or `mailgun`. */
  source: string;
  kind: ReportKind;
  /** The enhanced status code, e.g. `5.1.1`. */
  status?: string | undefined;
  /** The remote server's words (`Diagnostic-Code`), on one line. */
  diagnostic?: string | undefined;
  at: Date;
}

/** Whose delivery a report is about; `issue` is unknown for a confirmation or a report matched by address alone. */
export interface ReportTarget {
  subscriberId: number;
  issue?: string | undefined;
}

/** What processing a report did. */
export type ReportOutcome =
  /** The subscriber is now `bounced`. */
  | 'bounced'
  /** The subscriber is now `unsubscribed` (a complaint). */
  | 'unsubscribed'
  /** A soft bounce, counted on the delivery; not yet enough in a row. */
  | 'counted'
  /** Matched, but nothing to change (an auto-reply, a delay, or already so). */
  | 'unchanged'
  /** No subscriber matched. */
  | 'unmatched'
  /** It names a Gazette envelope sender whose signature is wrong. */
  | 'forged'
  /** It names several subscribers and nothing says which one it is about. */
  | 'ambiguous'
  /** Processed before. */
  | 'duplicate';

/** The delivery a Message-ID was sent as (Gazette's Message-IDs are one per issue and subscriber). */
export function deliveryByMessageId(db: Db, messageId: string): ReportTarget | undefined {
  const row = statement(db, 'SELECT issue, subscriber_id FROM deliveries WHERE message_id = ? LIMIT 1').get(messageId) as
    | { issue: string; subscriber_id: number }
    | undefined;
  return row ? { subscriberId: row.subscriber_id, issue: row.issue } : undefined;
}

/** The send key of the issue whose tag (`issueTag`) this is. */
export function issueKeys(db: Db): string[] {
  return (statement(db, 'SELECT key FROM issues').all() as Array<{ key: string }>).map((r) => r.key);
}

/**
 * The issue a report naming only the address is about: the one most
 * recently sent to the subscriber before the report was written, or (a
 * report's Date may be off) the most recent one.
 */
export function latestDelivery(db: Db, subscriberId: number, at: Date): string | undefined {
  const latest = (before: string) =>
    (
      statement(db, `SELECT issue FROM deliveries WHERE subscriber_id = ? AND state = 'sent' AND sent_at <= ? ORDER BY sent_at DESC LIMIT 1`).get(
        subscriberId,
        before,
      ) as { issue: string } | undefined
    )?.issue;
  return latest(at.toISOString()) ?? latest('9999');
}

/** Whether this report was processed before. */
export function reportSeen(db: Db, id: string): boolean {
  return statement(db, 'SELECT 1 FROM reports WHERE id = ?').get(id) !== undefined;
}

/**
 * Apply one report, in one transaction: record it, mark the delivery, and
 * change the subscriber where the report calls for it.
 * - hard: `bounced` (a subscribed or pending address; one that left stays as it is);
 * - soft: counted on the delivery; `bounced` once the last `softLimit`
 *   issues sent to them all bounced;
 * - complaint: `unsubscribed` with the reason `complaint`, for good.
 */
export function applyReport(
  db: Db,
  report: ReportRecord,
  target: ReportTarget | undefined,
  softLimit: number,
  unmatched: ReportOutcome = 'unmatched',
): ReportOutcome {
  return db
    .transaction((): ReportOutcome => {
      if (reportSeen(db, report.id)) return 'duplicate';
      const outcome = target ? change(db, report, target, softLimit) : unmatched;
      statement(
        db,
        `INSERT INTO reports (id, received_at, source, kind, subscriber_id, issue, status, diagnostic, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        report.id,
        now(),
        report.source,
        report.kind,
        target?.subscriberId ?? null,
        target?.issue ?? null,
        report.status ?? null,
        report.diagnostic?.slice(0, 1000) ?? null,
        outcome,
      );
      return outcome;
    })
    .immediate();
}

function change(db: Db, report: ReportRecord, target: ReportTarget, softLimit: number): ReportOutcome {
  const subscriber = getSubscriber(db, target.subscriberId);
  if (!subscriber) return 'unmatched';
  const at = report.at.toISOString();
  if (report.kind === 'none') return 'unchanged';
  if (report.kind === 'complaint') {
    if (target.issue)
      statement(db, 'UPDATE deliveries SET complained_at = COALESCE(complained_at, ?) WHERE issue = ? AND subscriber_id = ?').run(
        at,
        target.issue,
        subscriber.id,
      );
    if (subscriber.status === 'unsubscribed' && subscriber.unsubscribed_how === 'complaint') return 'unchanged';
    setStatus(db, subscriber.id, 'unsubscribed', 'complaint');
    return 'unsubscribed';
  }
  if (target.issue) {
    // A hard bounce outranks a soft one on the same delivery; never the other way.
    statement(
      db,
      `UPDATE deliveries SET bounce = ?, bounce_status = ?, bounce_diagnostic = ?, bounced_at = ?
       WHERE issue = ? AND subscriber_id = ? AND (bounce IS NULL OR (bounce = 'soft' AND ? = 'hard'))`,
    ).run(report.kind, report.status ?? null, report.diagnostic?.slice(0, 1000) ?? null, at, target.issue, subscriber.id, report.kind);
  }
  if (subscriber.status !== 'subscribed' && subscriber.status !== 'pending') return 'unchanged';
  if (report.kind === 'hard' || softInARow(db, subscriber.id, softLimit)) {
    setStatus(db, subscriber.id, 'bounced');
    return 'bounced';
  }
  return 'counted';
}

/** Whether each of the last `limit` issues delivered to a subscriber bounced (soft or hard). */
function softInARow(db: Db, subscriberId: number, limit: number): boolean {
  const rows = statement(
    db,
    `SELECT bounce FROM deliveries WHERE subscriber_id = ? AND state IN ('sent', 'failed') ORDER BY COALESCE(sent_at, updated_at) DESC LIMIT ?`,
  ).all(subscriberId, limit) as Array<{ bounce: string | null }>;
  return rows.length >= limit && rows.every((r) => r.bounce !== null);
}

export interface ReportFigures {
  /** Hard bounces: refused at sending, or reported after. */
  hard: number;
  soft: number;
  complaints: number;
  /** Accepted by the server, then reported bounced (hard or soft). */
  bouncedAfter: number;
}

/** Bounces and complaints of one issue's deliveries. */
export function reportFigures(db: Db, issueKey: string): ReportFigures {
  return statement(
    db,
    `SELECT COUNT(CASE WHEN bounce = 'hard' THEN 1 END) AS hard, COUNT(CASE WHEN bounce = 'soft' THEN 1 END) AS soft,
            COUNT(complained_at) AS complaints, COUNT(CASE WHEN state = 'sent' AND bounce IS NOT NULL THEN 1 END) AS bouncedAfter
     FROM deliveries WHERE issue = ?`,
  ).get(issueKey) as ReportFigures;
}

/** What reports did, by outcome, since a time (all time by default). */
export function reportOutcomes(db: Db, since = new Date(0)): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of statement(db, 'SELECT outcome, COUNT(*) AS n FROM reports WHERE received_at >= ? GROUP BY outcome').all(since.toISOString()) as Array<{
    outcome: string;
    n: number;
  }>) {
    counts[row.outcome] = row.n;
  }
  return counts;
}

export interface ListHealth {
  subscribed: number;
  pending: number;
  bounced: number;
  unsubscribed: number;
  /** Of the unsubscribed, those who reported the newsletter as spam. */
  complained: number;
  /** Reports processed in the last 30 days, by what they did. */
  recent: Record<string, number>;
}

/** The list as a whole: who is left, who bounced or complained, and what recent reports did. */
export function listHealth(db: Db, at = new Date()): ListHealth {
  const counts = { subscribed: 0, pending: 0, bounced: 0, unsubscribed: 0 } as Record<string, number>;
  for (const row of statement(db, 'SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status').all() as Array<{ status: string; n: number }>)
    counts[row.status] = row.n;
  const complainedRow = statement(db, `SELECT COUNT(*) AS n FROM subscribers WHERE status = 'unsubscribed' AND unsubscribed_how = 'complaint'`).get() as {
    n: number;
  };
  return {
    subscribed: counts.subscribed ?? 0,
    pending: counts.pending ?? 0,
    bounced: counts.bounced ?? 0,
    unsubscribed: counts.unsubscribed ?? 0,
    complained: complainedRow.n,
    recent: reportOutcomes(db, new Date(at.getTime() - 30 * 24 * 3600 * 1000)),
  };
}
