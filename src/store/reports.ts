import { sql } from 'kysely';
import { now } from './db.js';
import { all, changes, one, type Q, transact } from './sql.js';
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
export async function deliveryByMessageId(db: Q, messageId: string): Promise<ReportTarget | undefined> {
  const row = await one(db, sql<{ issue: string; subscriber_id: number }>`SELECT issue, subscriber_id FROM deliveries WHERE message_id = ${messageId} LIMIT 1`);
  return row ? { subscriberId: row.subscriber_id, issue: row.issue } : undefined;
}

/** The send key of the issue whose tag (`issueTag`) this is. */
export async function issueKeys(db: Q): Promise<string[]> {
  return (await all(db, sql<{ key: string }>`SELECT key FROM issues`)).map((r) => r.key);
}

/**
 * The issue a report naming only the address is about: the one most
 * recently sent to the subscriber before the report was written, or (a
 * report's Date may be off) the most recent one.
 */
export async function latestDelivery(db: Q, subscriberId: number, at: Date): Promise<string | undefined> {
  const latest = async (before: string) =>
    (
      await one(
        db,
        sql<{ issue: string }>`SELECT issue FROM deliveries WHERE subscriber_id = ${subscriberId} AND state = 'sent' AND sent_at <= ${before}
                               ORDER BY sent_at DESC LIMIT 1`,
      )
    )?.issue;
  return (await latest(at.toISOString())) ?? (await latest('9999'));
}

/** Whether this report was processed before. */
export async function reportSeen(db: Q, id: string): Promise<boolean> {
  return (await one(db, sql`SELECT 1 FROM reports WHERE id = ${id}`)) !== undefined;
}

/**
 * Apply one report, in one transaction: record it, mark the delivery, and
 * change the subscriber where the report calls for it.
 * - hard: `bounced` (a subscribed or pending address; one that left stays as it is);
 * - soft: counted on the delivery; `bounced` once the last `softLimit`
 *   issues sent to them all bounced;
 * - complaint: `unsubscribed` with the reason `complaint`, for good.
 *
 * The report's row is written first: of the same report delivered twice at
 * once (a webhook to two `serve` replicas), one writes it and applies it,
 * the other finds it taken and changes nothing.
 */
export function applyReport(
  db: Q,
  report: ReportRecord,
  target: ReportTarget | undefined,
  softLimit: number,
  unmatched: ReportOutcome = 'unmatched',
): Promise<ReportOutcome> {
  return transact(db, async (trx): Promise<ReportOutcome> => {
    const taken = await changes(
      trx,
      sql`INSERT INTO reports (id, received_at, source, kind, subscriber_id, issue, status, diagnostic, outcome)
          VALUES (${report.id}, ${now()}, ${report.source}, ${report.kind}, ${target?.subscriberId ?? null}, ${target?.issue ?? null},
                  ${report.status ?? null}, ${report.diagnostic?.slice(0, 1000) ?? null}, 'unchanged')
          ON CONFLICT (id) DO NOTHING`,
    );
    if (taken === 0) return 'duplicate';
    const outcome = target ? await change(trx, report, target, softLimit) : unmatched;
    await sql`UPDATE reports SET outcome = ${outcome} WHERE id = ${report.id}`.execute(trx);
    return outcome;
  });
}

async function change(db: Q, report: ReportRecord, target: ReportTarget, softLimit: number): Promise<ReportOutcome> {
  const subscriber = await getSubscriber(db, target.subscriberId);
  if (!subscriber) return 'unmatched';
  const at = report.at.toISOString();
  if (report.kind === 'none') return 'unchanged';
  if (report.kind === 'complaint') {
    if (target.issue)
      await sql`UPDATE deliveries SET complained_at = COALESCE(complained_at, ${at}) WHERE issue = ${target.issue} AND subscriber_id = ${subscriber.id}`.execute(
        db,
      );
    if (subscriber.status === 'unsubscribed' && subscriber.unsubscribed_how === 'complaint') return 'unchanged';
    await setStatus(db, subscriber.id, 'unsubscribed', 'complaint');
    return 'unsubscribed';
  }
  if (target.issue) {
    // A hard bounce outranks a soft one on the same delivery; never the other way.
    const outranks = report.kind === 'hard' ? sql`OR bounce = 'soft'` : sql``;
    await sql`UPDATE deliveries SET bounce = ${report.kind}, bounce_status = ${report.status ?? null}, bounce_diagnostic = ${report.diagnostic?.slice(0, 1000) ?? null},
                bounced_at = ${at}
              WHERE issue = ${target.issue} AND subscriber_id = ${subscriber.id} AND (bounce IS NULL ${outranks})`.execute(db);
  }
  if (subscriber.status !== 'subscribed' && subscriber.status !== 'pending') return 'unchanged';
  if (report.kind === 'hard' || (await softInARow(db, subscriber.id, softLimit))) {
    await setStatus(db, subscriber.id, 'bounced');
    return 'bounced';
  }
  return 'counted';
}

/** Whether each of the last `limit` issues delivered to a subscriber bounced (soft or hard). */
async function softInARow(db: Q, subscriberId: number, limit: number): Promise<boolean> {
  const rows = await all(
    db,
    sql<{ bounce: string | null }>`SELECT bounce FROM deliveries WHERE subscriber_id = ${subscriberId} AND state IN ('sent', 'failed')
                                   ORDER BY COALESCE(sent_at, updated_at) DESC LIMIT ${limit}`,
  );
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
export async function reportFigures(db: Q, issueKey: string): Promise<ReportFigures> {
  const row = await one(
    db,
    sql<ReportFigures>`SELECT COUNT(CASE WHEN bounce = 'hard' THEN 1 END) AS hard, COUNT(CASE WHEN bounce = 'soft' THEN 1 END) AS soft,
            COUNT(complained_at) AS complaints, COUNT(CASE WHEN state = 'sent' AND bounce IS NOT NULL THEN 1 END) AS "bouncedAfter"
     FROM deliveries WHERE issue = ${issueKey}`,
  );
  return row!;
}

/** What reports did, by outcome, since a time (all time by default). */
export async function reportOutcomes(db: Q, since = new Date(0)): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const row of await all(
    db,
    sql<{ outcome: string; n: number }>`SELECT outcome, COUNT(*) AS n FROM reports WHERE received_at >= ${since.toISOString()} GROUP BY outcome`,
  )) {
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
export async function listHealth(db: Q, at = new Date()): Promise<ListHealth> {
  const counts = { subscribed: 0, pending: 0, bounced: 0, unsubscribed: 0 } as Record<string, number>;
  for (const row of await all(db, sql<{ status: string; n: number }>`SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status`))
    counts[row.status] = row.n;
  const complainedRow = await one(
    db,
    sql<{ n: number }>`SELECT COUNT(*) AS n FROM subscribers WHERE status = 'unsubscribed' AND unsubscribed_how = 'complaint'`,
  );
  return {
    subscribed: counts.subscribed ?? 0,
    pending: counts.pending ?? 0,
    bounced: counts.bounced ?? 0,
    unsubscribed: counts.unsubscribed ?? 0,
    complained: complainedRow!.n,
    recent: await reportOutcomes(db, new Date(at.getTime() - 30 * 24 * 3600 * 1000)),
  };
}
