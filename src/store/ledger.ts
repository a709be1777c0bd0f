import { type RawBuilder, sql } from 'kysely';
import { enhancedStatus } from '../util/mail.js';
import { now } from './db.js';
import { countHit } from './events.js';
import { quotaSlot } from './quotas.js';
import { reportFigures } from './reports.js';
import { all, changes, one, onPostgres, type Q, transact } from './sql.js';
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
 * Who an issue is for: the readers of its edition (every issue, or the
 * weekly roll-up) whose topics meet its topics, or who chose none.
 */
export interface Audience {
  edition: 'daily' | 'weekly';
  /** The topics the issue covers; undefined when the list has no topics (everyone of the edition). */
  topics?: readonly string[] | undefined;
  /** Only the readers who chose exactly these topics (a roll-up's email differs by the topics chosen). Never recorded. */
  exactly?: readonly string[] | undefined;
}

/** Every reader of every issue: a list without topics, before roll-ups. */
export const EVERYONE: Audience = { edition: 'daily' };

/** The readers an issue is for, among those not yet tried. */
function audienceWhere(audience: Audience): RawBuilder<unknown> {
  const chose = sql`EXISTS (SELECT 1 FROM subscriber_topics st WHERE st.subscriber_id = s.id)`;
  const topics = audience.topics;
  const meets =
    topics === undefined
      ? sql``
      : topics.length
        ? sql` AND (NOT ${chose} OR EXISTS (SELECT 1 FROM subscriber_topics st WHERE st.subscriber_id = s.id AND st.topic IN (${sql.join([...topics])})))`
        : sql` AND NOT ${chose}`;
  const exactly = audience.exactly;
  const only =
    exactly === undefined
      ? sql``
      : exactly.length
        ? sql` AND NOT EXISTS (SELECT 1 FROM subscriber_topics st WHERE st.subscriber_id = s.id AND st.topic NOT IN (${sql.join([...exactly])}))
               AND (SELECT COUNT(*) FROM subscriber_topics st WHERE st.subscriber_id = s.id) = ${exactly.length}`
        : sql` AND NOT ${chose}`;
  return sql`s.frequency = ${audience.edition}${meets}${only}`;
}

/** The distinct sets of topics the subscribed readers of an edition chose (`[]`: everything), a thousand readers at a time. */
export async function topicSets(db: Q, edition: Audience['edition']): Promise<string[][]> {
  const sets = new Map<string, string[]>();
  let after = 0;
  for (;;) {
    const rows = await all(
      db,
      sql<{
        id: number;
        topic: string | null;
      }>`SELECT s.id, st.topic FROM (SELECT id FROM subscribers WHERE status = 'subscribed' AND frequency = ${edition} AND id > ${after} ORDER BY id LIMIT 1000) s
        LEFT JOIN subscriber_topics st ON st.subscriber_id = s.id ORDER BY s.id, st.topic`,
    );
    if (rows.length === 0) break;
    const byReader = new Map<number, string[]>();
    for (const row of rows) {
      const chosen = byReader.get(row.id) ?? [];
      if (row.topic !== null) chosen.push(row.topic);
      byReader.set(row.id, chosen);
    }
    for (const chosen of byReader.values()) sets.set(chosen.join(' '), chosen);
    after = rows.at(-1)!.id;
  }
  return [...sets.values()];
}

/**
 * An issue's audience is fixed when its first send begins (`issues.first_sent_at`):
 * a subscriber is owed it when a delivery of it is under way or deferred, or when
 * none was tried yet and they were subscribed by then. Readers who join later
 * start with the next issue; resumed runs and retries keep the audience.
 * `state` is the reader's delivery state (`d.state` of a join, or `stateOf`);
 * `resumed` the states that are still owed (a `fresh` claim leaves out the deferred).
 */
const owedWhere = (
  issueId: string,
  audience: Audience,
  state: RawBuilder<unknown> = sql`d.state`,
  resumed: readonly DeliveryState[] = ['sending', 'deferred'],
): RawBuilder<unknown> => sql`s.status = 'subscribed' AND CASE COALESCE(${state}, '')
         WHEN '' THEN COALESCE(s.subscribed_at, s.created_at) <= COALESCE((SELECT first_sent_at FROM issues WHERE key = ${issueId}), '9999')
             AND ${audienceWhere(audience)}
         ${sql.join(
           resumed.map((r) => sql`WHEN ${r} THEN TRUE`),
           sql` `,
         )} ELSE FALSE END`;

/**
 * A reader's delivery state for the issue, looked up row by row. The batches
 * (`owedBatch`, `claimBatch`) read the list in id order up to a LIMIT: one
 * index probe per reader lets them stop there. Joined instead, PostgreSQL's
 * planner, taking the nulls of a LEFT JOIN for rare once the issue has
 * deliveries, sorted the whole list for every batch (12 s a claim at a
 * million readers). Counts, which read every reader anyway, join.
 */
const stateOf = (issueId: string): RawBuilder<unknown> => sql`(SELECT d.state FROM deliveries d WHERE d.issue = ${issueId} AND d.subscriber_id = s.id)`;

export async function recordIssue(db: Q, issue: IssueRef, audience: Audience = EVERYONE): Promise<void> {
  const topics = audience.topics === undefined ? null : audience.topics.join(' ');
  await sql`INSERT INTO issues (key, slug, title, feed_id, first_sent_at, edition, topics)
     VALUES (${issue.key}, ${issue.slug}, ${issue.title}, ${issue.id}, ${now()}, ${audience.edition}, ${topics})
     ON CONFLICT (key) DO UPDATE SET slug = excluded.slug, title = excluded.title, feed_id = excluded.feed_id,
       edition = excluded.edition, topics = excluded.topics`.execute(db);
}

/** The audience an issue was recorded with (for `status`). */
function recordedAudience(row: { edition: string; topics: string | null }): Audience {
  return { edition: row.edition === 'weekly' ? 'weekly' : 'daily', topics: row.topics === null ? undefined : row.topics.split(' ').filter(Boolean) };
}

/** The send keys of every issue this list has begun to send. */
export async function sentIssueKeys(db: Q): Promise<Set<string>> {
  return new Set((await all(db, sql<{ key: string }>`SELECT key FROM issues`)).map((r) => r.key));
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
export function owedBatch(db: Q, issueId: string, after: number, limit: number, retry: boolean, audience: Audience = EVERYONE): Promise<Recipient[]> {
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
       WHERE s.id > ${after} AND ${owedWhere(issueId, audience, stateOf(issueId))}
       ORDER BY s.id LIMIT ${limit}`,
  );
}

/** How many subscribers are still owed this issue. */
export async function owedCount(db: Q, issueId: string, audience: Audience = EVERYONE): Promise<number> {
  const row = await one(
    db,
    sql<{ n: number }>`SELECT COUNT(*) AS n FROM subscribers s
       LEFT JOIN deliveries d ON d.issue = ${issueId} AND d.subscriber_id = s.id
       WHERE ${owedWhere(issueId, audience)}`,
  );
  return row!.n;
}

/**
 * The readers owed an issue, by the topic that brings it to them: each of
 * the issue's topics (a reader who chose two is counted under both), and
 * `''` for those who chose none (everything).
 */
export async function owedByTopic(db: Q, issueId: string, audience: Audience): Promise<Record<string, number>> {
  const topics = audience.topics ?? [];
  const counts: Record<string, number> = Object.fromEntries([...topics, ''].map((t) => [t, 0]));
  const rows = await all(
    db,
    sql<{ topic: string; n: number }>`SELECT COALESCE(st.topic, '') AS topic, COUNT(*) AS n FROM subscribers s
       LEFT JOIN deliveries d ON d.issue = ${issueId} AND d.subscriber_id = s.id
       LEFT JOIN subscriber_topics st ON st.subscriber_id = s.id AND st.topic IN (${sql.join([...topics, ''])})
       WHERE ${owedWhere(issueId, audience)} GROUP BY COALESCE(st.topic, '')`,
  );
  for (const row of rows) counts[row.topic] = row.n;
  return counts;
}

/**
 * Claim the next subscribers (after id `after`) still owed this issue for
 * `worker`, until `until`: those no other worker holds a live claim on.
 * On PostgreSQL the candidates are locked as they are chosen and rows
 * another worker is claiming at the same moment are skipped (`FOR UPDATE
 * SKIP LOCKED`), so two workers never claim the same subscriber. `which`:
 * every one owed, the deferred only (a retry pass), or all but the deferred
 * (what other workers left). Returns the claimed, in id order.
 */
export async function claimBatch(
  db: Q,
  issueId: string,
  worker: string,
  after: number,
  limit: number,
  which: ClaimKind,
  until: Date,
  at = new Date(),
  audience: Audience = EVERYONE,
): Promise<Recipient[]> {
  const now = at.toISOString();
  return transact(db, async (trx) => {
    const state = stateOf(issueId);
    const owed =
      which === 'deferred'
        ? sql`s.status = 'subscribed' AND ${state} = 'deferred'`
        : owedWhere(issueId, audience, state, which === 'fresh' ? ['sending'] : ['sending', 'deferred']);
    const skipLocked = onPostgres(trx) ? sql`FOR UPDATE OF s SKIP LOCKED` : sql``;
    // Free: no other worker's claim, or one whose lease has run out (looked up row by row, as the state is).
    const candidates = await all(
      trx,
      sql<{ id: number }>`SELECT s.id FROM subscribers s
        WHERE s.id > ${after} AND ${owed}
          AND COALESCE((SELECT c.until FROM claims c WHERE c.issue = ${issueId} AND c.subscriber_id = s.id AND c.worker <> ${worker}), '') < ${now}
        ORDER BY s.id LIMIT ${limit} ${skipLocked}`,
    );
    if (candidates.length === 0) return [];
    const ids = candidates.map((c) => c.id);
    const claimed = await all(
      trx,
      sql<{ subscriber_id: number }>`INSERT INTO claims (issue, subscriber_id, worker, until)
        VALUES ${sql.join(ids.map((id) => sql`(${issueId}, ${id}, ${worker}, ${until.toISOString()})`))}
        ON CONFLICT (issue, subscriber_id) DO UPDATE SET worker = excluded.worker, until = excluded.until
        WHERE claims.until < ${now} OR claims.worker = excluded.worker
        RETURNING subscriber_id`,
    );
    if (claimed.length === 0) return [];
    return all(
      trx,
      sql<Recipient>`SELECT id, email, name, email_key FROM subscribers WHERE id IN (${sql.join(claimed.map((c) => c.subscriber_id))}) ORDER BY id`,
    );
  });
}

/** Keep a worker's claims on an issue until `until` (its lease, renewed while it works). */
export async function renewClaims(db: Q, issueId: string, worker: string, until: Date): Promise<void> {
  await sql`UPDATE claims SET until = ${until.toISOString()} WHERE issue = ${issueId} AND worker = ${worker}`.execute(db);
}

/**
 * Give back a worker's claims (it stops): another worker, or the next run,
 * takes what it did not send at once. Claims past their lease (a killed
 * worker's) go too. A claim on a sent message is harmless until then: only
 * the owed are claimed, so none is removed message by message.
 */
export async function releaseClaims(db: Q, issueId: string, worker: string, at = new Date()): Promise<void> {
  await sql`DELETE FROM claims WHERE issue = ${issueId} AND (worker = ${worker} OR until < ${at.toISOString()})`.execute(db);
}

/** The workers holding live claims on an issue, other than `worker`. */
export async function otherWorkers(db: Q, issueId: string, worker: string, at = new Date()): Promise<number> {
  const row = await one(
    db,
    sql<{ n: number }>`SELECT COUNT(DISTINCT worker) AS n FROM claims WHERE issue = ${issueId} AND worker <> ${worker} AND until >= ${at.toISOString()}`,
  );
  return row!.n;
}

/**
 * Just before the SMTP transaction: check, in one statement, that the
 * subscriber is still subscribed and still owed the issue, and that no
 * other worker holds a live claim on it, and record the attempt. Returns
 * false when the message must not be sent.
 */
export async function beginDelivery(db: Q, issueId: string, subscriberId: number, messageId: string, worker = '', at = new Date()): Promise<boolean> {
  const t = at.toISOString();
  // One statement, so one implicit transaction: only for a subscriber still subscribed, never over a
  // delivery that is already sent or failed, nor one another worker has claimed.
  const begun = await changes(
    db,
    sql`INSERT INTO deliveries (issue, subscriber_id, state, attempts, message_id, created_at, updated_at)
       SELECT CAST(${issueId} AS TEXT), id, 'sending', 1, CAST(${messageId} AS TEXT), CAST(${t} AS TEXT), CAST(${t} AS TEXT)
       FROM subscribers WHERE id = ${subscriberId} AND status = 'subscribed'
         AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.issue = ${issueId} AND c.subscriber_id = ${subscriberId} AND c.worker <> ${worker} AND c.until >= ${t})
       ON CONFLICT (issue, subscriber_id) DO UPDATE SET state = 'sending', attempts = deliveries.attempts + 1, updated_at = excluded.updated_at
       WHERE deliveries.state NOT IN ('sent', 'failed')`,
  );
  return begun === 1;
}

/** Which owed subscribers a claim takes: all, the deferred only (a retry pass), or all but the deferred. */
export type ClaimKind = 'owed' | 'deferred' | 'fresh';

export interface Outcome {
  state: 'sent' | 'deferred' | 'failed';
  response: string;
  /** A permanent refusal of the address: mark the subscriber bounced. */
  bounce?: boolean;
  /** The relay that carried (or refused) it. */
  relay?: string;
}

/** Right after the SMTP transaction: record what happened. */
export async function finishDelivery(db: Q, issueId: string, subscriberId: number, outcome: Outcome, worker = ''): Promise<void> {
  const t = now();
  const sentAt = outcome.state === 'sent' ? sql`sent_at = ${t}, sent_by = ${worker || null},` : sql``;
  const relay = outcome.relay ? sql`relay = ${outcome.relay},` : sql``;
  const record = (on: Q) =>
    sql`UPDATE deliveries SET ${sentAt} ${relay} state = ${outcome.state}, last_response = ${outcome.response.slice(0, 1000)}, updated_at = ${t}
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

/**
 * The ledger of one database, as the send pipeline's store (`SendStore` in
 * send/store.ts), for one worker (`host:pid:random`): on PostgreSQL several
 * share an issue, each working on the subscribers it claimed.
 */
export function ledger(db: Q, worker = '', audience: Audience = EVERYONE) {
  const clock = serverClock(db);
  return {
    worker,
    /** Whether several workers may share a campaign (PostgreSQL): the rate limit is then counted for all of them. */
    shared: onPostgres(db),
    recordIssue: async (issue: IssueRef) => {
      await clock.sync();
      await recordIssue(db, issue, audience);
    },
    owedCount: (issueId: string) => owedCount(db, issueId, audience),
    owedBatch: (issueId: string, after: number, limit: number, retry: boolean) => owedBatch(db, issueId, after, limit, retry, audience),
    claimBatch: (issueId: string, after: number, limit: number, which: ClaimKind, until: Date) =>
      claimBatch(db, issueId, worker, after, limit, which, clock.toServer(until), clock.now(), audience),
    renewClaims: async (issueId: string, until: Date) => {
      await clock.sync();
      await renewClaims(db, issueId, worker, clock.toServer(until));
    },
    releaseClaims: (issueId: string) => releaseClaims(db, issueId, worker, clock.now()),
    otherWorkers: (issueId: string) => otherWorkers(db, issueId, worker, clock.now()),
    beginDelivery: (issueId: string, subscriberId: number, messageId: string) => beginDelivery(db, issueId, subscriberId, messageId, worker, clock.now()),
    finishDelivery: (issueId: string, subscriberId: number, outcome: Outcome) => finishDelivery(db, issueId, subscriberId, outcome, worker),
    /** Count a message against a rate (the campaign's, a relay's), for every worker together. */
    countHit: async (key: string, windowMs: number, at: Date) => {
      const { hits, start } = await countHit(db, key, windowMs, clock.toServer(at));
      return { hits, start: clock.fromServer(start) };
    },
    /** Take a slot of a relay's daily limit, for every worker and issue together. */
    quotaSlot: async (key: string, limit: number, at: Date) => {
      const until = await quotaSlot(db, key, limit, clock.toServer(at));
      return until && clock.fromServer(until);
    },
  };
}

/**
 * The database server's clock as this worker reads it. Workers on several
 * machines compare lease and rate times in the database, so on PostgreSQL
 * every time the ledger writes or compares is the server's: this machine's
 * clock plus the offset measured when the run starts and at each lease
 * renewal (a worker whose clock is minutes off neither takes live claims
 * nor keeps dead ones). On SQLite, one machine, this one's clock.
 */
function serverClock(db: Q) {
  let offset = 0;
  return {
    async sync() {
      if (!onPostgres(db)) return;
      const before = Date.now();
      const row = await one(db, sql<{ ms: number }>`SELECT EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS ms`);
      offset = Number(row!.ms) - (before + Date.now()) / 2;
    },
    now: () => new Date(Date.now() + offset),
    toServer: (time: Date) => new Date(time.getTime() + offset),
    fromServer: (time: Date) => new Date(time.getTime() - offset),
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
  /** Messages accepted, by the worker that sent them (`host:pid:…`; several only on PostgreSQL). */
  senders: Record<string, number>;
  /** Messages accepted, by the relay that carried them (several with `[[smtp]]`). */
  relays: Record<string, number>;
}

/** Delivery counts per issue sent (newest first), or for the issue with this slug. */
export async function deliveryStatus(db: Q, slug?: string): Promise<IssueStatus[]> {
  type Row = Pick<IssueStatus, 'key' | 'slug' | 'title' | 'first_sent_at'> & { edition: string; topics: string | null };
  const issues = await all(db, slug ? sql<Row>`SELECT * FROM issues WHERE slug = ${slug}` : sql<Row>`SELECT * FROM issues ORDER BY first_sent_at DESC`);
  const statuses: IssueStatus[] = [];
  for (const issue of issues) {
    const { edition, topics, ...fields } = issue;
    const status: IssueStatus = {
      ...fields,
      sent: 0,
      deferred: 0,
      failed: 0,
      sending: 0,
      owed: await owedCount(db, issue.key, recordedAudience({ edition, topics })),
      ...(await reportFigures(db, issue.key)),
      delivered: 0,
      hardRate: 0,
      complaintRate: 0,
      senders: {},
      relays: {},
    };
    for (const row of await all(
      db,
      sql<{ state: DeliveryState; n: number }>`SELECT state, COUNT(*) AS n FROM deliveries WHERE issue = ${issue.key} GROUP BY state`,
    ))
      status[row.state] = row.n;
    for (const [column, into] of [
      [sql.ref('sent_by'), status.senders],
      [sql.ref('relay'), status.relays],
    ] as const) {
      for (const row of await all(
        db,
        sql<{ who: string; n: number }>`SELECT COALESCE(${column}, '') AS who, COUNT(*) AS n FROM deliveries
          WHERE issue = ${issue.key} AND state = 'sent' GROUP BY ${column} ORDER BY who`,
      ))
        into[row.who || 'unrecorded'] = row.n;
    }
    status.delivered = status.sent - status.bouncedAfter;
    status.hardRate = status.hard / Math.max(1, status.sent + status.failed);
    status.complaintRate = status.complaints / Math.max(1, status.delivered);
    statuses.push(status);
  }
  return statuses;
}
