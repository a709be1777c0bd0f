import { hostname } from 'node:os';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { countHit } from '../../../src/store/events.js';
import {
  acquireSendLock,
  applyReport,
  getSubscriber,
  latestDelivery,
  lookalikeIssue,
  type Q,
  releaseSlot,
  reserveConfirmation,
  type Store,
} from '../../../src/store/index.js';
import {
  type Audience,
  beginDelivery,
  claimBatch,
  deliveryStatus,
  finishDelivery,
  ledger,
  otherWorkers,
  owedBatch,
  owedByTopic,
  owedCount,
  recordIssue,
  releaseClaims,
  renewClaims,
  topicSets,
} from '../../../src/store/ledger.js';
import { samePreferences, setPreferences, topicsOf } from '../../../src/store/preferences.js';
import { quotaSlot } from '../../../src/store/quotas.js';
import { listHealth, type ReportRecord } from '../../../src/store/reports.js';
import { insertSubscriber, setStatus } from '../../../src/store/subscribers.js';
import { CONFIRM_INTERVAL_MS, confirmSubscription, leave, mailboxOf, requestSubscription, undoLeave } from '../../../src/store/subscriptions.js';
import { firstRow, onEachBackend, sql } from '../../helpers/backends.js';

/**
 * The store's rules for readers and reports, each on a fresh list, on SQLite
 * and on PostgreSQL: what a subscribe request, a confirmation, an undo and a
 * report may change, and what they must leave alone. (Found by mutation
 * testing: see docs/mutation.md.)
 */

onEachBackend('the store', (backend) => {
  let store: Store;
  let db: Q;
  beforeEach(async () => {
    store = await backend.open();
    db = store.db;
    return () => store.close();
  });

  const CAPS = { perHour: 1000, perDomainPerHour: 100 };
  const T0 = new Date('2026-12-02T08:00:00Z');
  const later = (ms: number) => new Date(T0.getTime() + ms);
  const add = (email: string, status: 'pending' | 'subscribed' | 'unsubscribed' | 'bounced' = 'subscribed') =>
    insertSubscriber(db, { email, name: '', status, source: 'test' });

  describe('mailboxOf: the inbox an address reaches', () => {
    it('folds case and +tags; Gmail dots and googlemail.com; a leading + is not a tag', async () => {
      expect(mailboxOf('Ann+News@Example.ORG')).toEqual({ mailbox: 'ann@example.org', domain: 'example.org' });
      expect(mailboxOf('A.Nn+1@GoogleMail.com')).toEqual({ mailbox: 'ann@gmail.com', domain: 'gmail.com' });
      expect(mailboxOf('a.nn@example.org')).toEqual({ mailbox: 'a.nn@example.org', domain: 'example.org' });
      expect(mailboxOf('+x@example.org')).toEqual({ mailbox: '+x@example.org', domain: 'example.org' });
    });
  });

  describe('requestSubscription', () => {
    it('keeps an unknown address as pending, from the web, with its name, and takes the hour’s slot', async () => {
      const r = await requestSubscription(db, 'new@example.org', 'New Reader', CAPS, T0);
      expect(r.mailTo).toMatchObject({ email: 'new@example.org', name: 'New Reader', status: 'pending', source: 'web', confirm_sent_at: T0.toISOString() });
      expect(r.slot).toMatchObject({ subscriberId: r.mailTo!.id, previous: null });
      expect(r.quiet).toBeUndefined();
    });

    it('mails a subscribed address nothing and keeps its name; renames a pending one', async () => {
      const s = await add('sub@example.org');
      expect(await requestSubscription(db, 'sub@example.org', 'Someone Else', CAPS, T0)).toEqual({ quiet: 'subscribed' });
      expect((await getSubscriber(db, s.id))!.name).toBe('');
      const p = await add('pend@example.org', 'pending');
      await requestSubscription(db, 'pend@example.org', 'Pat', CAPS, T0);
      expect((await getSubscriber(db, p.id))!.name).toBe('Pat');
    });

    it('one confirmation per mailbox an hour: another +tag within it is quiet; an hour later, one more', async () => {
      expect((await requestSubscription(db, 'ann@example.org', undefined, CAPS, T0)).mailTo).toBeDefined();
      expect(await requestSubscription(db, 'Ann+2@example.org', undefined, CAPS, later(60_000))).toEqual({ quiet: 'recently-asked' });
      expect(await requestSubscription(db, 'ann@example.org', undefined, CAPS, later(CONFIRM_INTERVAL_MS - 1000))).toEqual({ quiet: 'recently-asked' });
      expect((await requestSubscription(db, 'ann@example.org', undefined, CAPS, later(CONFIRM_INTERVAL_MS + 1000))).mailTo).toBeDefined();
    });

    it('a released slot (the mail failed) lets the reader ask again at once, and restores when they were last asked', async () => {
      const first = await requestSubscription(db, 'bob@example.org', undefined, CAPS, T0);
      await releaseSlot(db, first.slot!);
      expect((await getSubscriber(db, first.mailTo!.id))!.confirm_sent_at).toBeNull();
      const again = await requestSubscription(db, 'bob@example.org', undefined, CAPS, later(1000));
      expect(again.mailTo).toBeDefined();
      expect(again.slot!.previous).toBeNull();
    });

    it('the caps: past the hour’s total, or a domain’s share, every address is told alike', async () => {
      const caps = { perHour: 3, perDomainPerHour: 2 };
      expect((await requestSubscription(db, 'a@one.example', undefined, caps, T0)).mailTo).toBeDefined();
      expect((await requestSubscription(db, 'b@one.example', undefined, caps, T0)).mailTo).toBeDefined();
      expect(await requestSubscription(db, 'c@one.example', undefined, caps, T0)).toEqual({ busy: true });
      expect((await requestSubscription(db, 'd@two.example', undefined, caps, T0)).mailTo).toBeDefined();
      expect(await requestSubscription(db, 'e@three.example', undefined, caps, T0)).toEqual({ busy: true });
      // An hour on, the old confirmations no longer count.
      expect((await requestSubscription(db, 'e@three.example', undefined, caps, later(CONFIRM_INTERVAL_MS + 1))).mailTo).toBeDefined();
    });
  });

  describe('reserveConfirmation (invite)', () => {
    it('takes a slot once an hour per subscriber; none for an unknown id', async () => {
      const p = await add('inv@example.org', 'pending');
      const slot = await reserveConfirmation(db, p.id, T0)!;
      expect(slot).toMatchObject({ subscriberId: p.id, previous: null });
      expect(await reserveConfirmation(db, p.id, later(CONFIRM_INTERVAL_MS - 1000))).toBeUndefined();
      // Exactly an hour after the last: due again.
      const q0 = await add('edge@example.org', 'pending');
      await reserveConfirmation(db, q0.id, T0);
      expect(await reserveConfirmation(db, q0.id, later(CONFIRM_INTERVAL_MS))).toBeDefined();
      expect(await reserveConfirmation(db, p.id, later(CONFIRM_INTERVAL_MS + 1000))).toMatchObject({ previous: T0.toISOString() });
      expect(await reserveConfirmation(db, 9999, T0)).toBeUndefined();
      // Recorded for the mailbox: the form mails it no second one within the hour.
      const q = await add('inv2@example.org', 'pending');
      await reserveConfirmation(db, q.id, T0);
      expect(await requestSubscription(db, 'INV2+x@example.org', undefined, CAPS, later(1000))).toEqual({ quiet: 'recently-asked' });
      // Given back, the subscriber's time is what it was.
      const r = await add('inv3@example.org', 'pending');
      await releaseSlot(db, (await reserveConfirmation(db, r.id, T0))!);
      expect((await getSubscriber(db, r.id))!.confirm_sent_at).toBeNull();
    });
  });

  describe('reserveConfirmation at once', () => {
    it('two invites running at once take a reader’s slot once', async () => {
      const readers = await Promise.all(Array.from({ length: 10 }, (_, i) => add(`race${i}@example.org`, 'pending')));
      for (const r of readers) {
        const slots = await Promise.all([reserveConfirmation(db, r.id, T0), reserveConfirmation(db, r.id, T0), reserveConfirmation(db, r.id, T0)]);
        expect(slots.filter(Boolean), r.email).toHaveLength(1);
      }
    });
  });

  describe('confirm, leave, undo', () => {
    it('confirmSubscription: a pending reader is subscribed; a subscribed one, an unknown id or a complainer is not changed', async () => {
      const p = await add('p@example.org', 'pending');
      expect(await confirmSubscription(db, p.id)).toBe('subscribed');
      expect((await getSubscriber(db, p.id))!.status).toBe('subscribed');
      expect(await confirmSubscription(db, p.id)).toBe('already');
      expect(await confirmSubscription(db, 9999)).toBe('already');
      const c = await add('c@example.org');
      await setStatus(db, c.id, 'unsubscribed', 'complaint');
      expect(await confirmSubscription(db, c.id)).toBe('already');
      expect((await getSubscriber(db, c.id))!.status).toBe('unsubscribed');
      const gone = await add('gone@example.org');
      await setStatus(db, gone.id, 'unsubscribed', 'page');
      expect(await confirmSubscription(db, gone.id)).toBe('subscribed');
    });

    it('undoLeave: only a reader’s own leaving is undone', async () => {
      const a = await add('a@example.org');
      expect(await leave(db, a.id, 'one-click')).toBe('unsubscribed');
      expect(await undoLeave(db, a.id)).toBe('subscribed');
      expect((await getSubscriber(db, a.id))!.status).toBe('subscribed');
      expect(await undoLeave(db, a.id)).toBe('subscribed');
      const b = await add('b@example.org');
      await leave(db, b.id, 'page');
      expect(await undoLeave(db, b.id)).toBe('subscribed');
      for (const how of ['command', 'import', 'complaint'] as const) {
        const x = await add(`${how}@example.org`);
        await setStatus(db, x.id, 'unsubscribed', how);
        expect(await undoLeave(db, x.id)).toBe('unchanged');
        expect((await getSubscriber(db, x.id))!.status).toBe('unsubscribed');
      }
      const bounced = await add('bounced@example.org', 'bounced');
      expect(await undoLeave(db, bounced.id)).toBe('unchanged');
      expect((await getSubscriber(db, bounced.id))!.status).toBe('bounced');
      expect(await undoLeave(db, 9999)).toBe('unchanged');
      const pending = await add('pending@example.org', 'pending');
      expect(await undoLeave(db, pending.id)).toBe('unchanged');
    });
  });

  describe('reports', () => {
    const ISSUE = { key: 'issue-one', slug: 'issue-one', title: 'Issue one', id: 'tag:example.org,2026-12-01:issue-one' };
    const sent = async (subscriberId: number, issue = ISSUE) => {
      await recordIssue(db, issue);
      await beginDelivery(db, issue.key, subscriberId, `<${issue.key}.${subscriberId}@example.org>`);
      await finishDelivery(db, issue.key, subscriberId, { state: 'sent', response: '250 ok' });
    };
    const report = (id: string, kind: ReportRecord['kind'], extra: Partial<ReportRecord> = {}): ReportRecord => ({
      id,
      source: 'mail',
      kind,
      at: T0,
      ...extra,
    });
    const row = async (id: string) => (await firstRow(db, sql`SELECT * FROM reports WHERE id = ${id}`))!;
    const delivery = async (subscriberId: number) => (await firstRow(db, sql`SELECT * FROM deliveries WHERE subscriber_id = ${subscriberId}`))!;

    it('records who and which issue a report is about, its status and diagnostic (cut to 1,000 characters); twice is a duplicate', async () => {
      const s = await add('s@example.org');
      await sent(s.id);
      const long = `550 5.1.1 ${'x'.repeat(1500)}`;
      expect(await applyReport(db, report('r1', 'hard', { status: '5.1.1', diagnostic: long }), { subscriberId: s.id, issue: ISSUE.key }, 3)).toBe('bounced');
      expect(await row('r1')).toMatchObject({ subscriber_id: s.id, issue: ISSUE.key, status: '5.1.1', outcome: 'bounced', kind: 'hard' });
      expect((await row('r1')).diagnostic).toBe(long.slice(0, 1000));
      expect(await delivery(s.id)).toMatchObject({ bounce: 'hard', bounce_status: '5.1.1', bounce_diagnostic: long.slice(0, 1000) });
      expect(await applyReport(db, report('r1', 'hard'), { subscriberId: s.id, issue: ISSUE.key }, 3)).toBe('duplicate');
      // Unmatched: kept with no subscriber, no issue.
      expect(await applyReport(db, report('r2', 'hard'), undefined, 3)).toBe('unmatched');
      expect(await row('r2')).toMatchObject({ subscriber_id: null, issue: null, status: null, diagnostic: null, outcome: 'unmatched' });
    });

    it('a complaint unsubscribes for good, once; a hard bounce leaves one who left as they are', async () => {
      const s = await add('c@example.org');
      await sent(s.id);
      expect(await applyReport(db, report('c1', 'complaint'), { subscriberId: s.id, issue: ISSUE.key }, 3)).toBe('unsubscribed');
      expect(await getSubscriber(db, s.id)).toMatchObject({ status: 'unsubscribed', unsubscribed_how: 'complaint' });
      expect((await delivery(s.id)).complained_at).toBe(T0.toISOString());
      expect(await applyReport(db, report('c2', 'complaint'), { subscriberId: s.id, issue: ISSUE.key }, 3)).toBe('unchanged');
      // One who left by the page, then complains: the complaint is recorded as why.
      const left = await add('left@example.org');
      await setStatus(db, left.id, 'unsubscribed', 'page');
      expect(await applyReport(db, report('c3', 'complaint'), { subscriberId: left.id }, 3)).toBe('unsubscribed');
      expect((await getSubscriber(db, left.id))!.unsubscribed_how).toBe('complaint');
      // A hard bounce after they left changes nothing of theirs.
      const gone = await add('gone@example.org');
      await sent(gone.id);
      await setStatus(db, gone.id, 'unsubscribed', 'page');
      expect(await applyReport(db, report('h1', 'hard'), { subscriberId: gone.id, issue: ISSUE.key }, 3)).toBe('unchanged');
      expect((await getSubscriber(db, gone.id))!.status).toBe('unsubscribed');
      // A pending reader's confirmation bounces: bounced, with no issue to mark.
      const p = await add('p@example.org', 'pending');
      expect(await applyReport(db, report('h2', 'hard'), { subscriberId: p.id }, 3)).toBe('bounced');
    });

    it('soft bounces are counted on the delivery; bounced only when the last issues all bounced', async () => {
      const s = await add('soft@example.org');
      const issues = [1, 2].map((n) => ({ ...ISSUE, key: `i${n}`, slug: `i${n}`, id: `tag:x,2026:i${n}` }));
      await sent(s.id, issues[0]);
      expect(await applyReport(db, report('s1', 'soft', { status: '4.2.2' }), { subscriberId: s.id, issue: 'i1' }, 2)).toBe('counted');
      expect((await getSubscriber(db, s.id))!.status).toBe('subscribed');
      await sent(s.id, issues[1]);
      expect(await applyReport(db, report('s2', 'soft'), { subscriberId: s.id, issue: 'i2' }, 2)).toBe('bounced');
    });

    it('on one delivery a hard bounce outranks a soft one, never the other way; a second soft one keeps the first', async () => {
      const s = await add('rank@example.org');
      await sent(s.id);
      const target = { subscriberId: s.id, issue: ISSUE.key };
      await applyReport(db, report('k1', 'soft', { status: '4.2.2', diagnostic: 'first' }), target, 10);
      await applyReport(db, report('k2', 'soft', { status: '4.4.1', diagnostic: 'second' }), target, 10);
      expect(await delivery(s.id)).toMatchObject({ bounce: 'soft', bounce_status: '4.2.2', bounce_diagnostic: 'first' });
      await applyReport(db, report('k3', 'hard', { status: '5.1.1', diagnostic: 'gone' }), target, 10);
      expect(await delivery(s.id)).toMatchObject({ bounce: 'hard', bounce_status: '5.1.1', bounce_diagnostic: 'gone' });
      await applyReport(db, report('k4', 'soft', { status: '4.2.2', diagnostic: 'late' }), target, 10);
      expect(await delivery(s.id)).toMatchObject({ bounce: 'hard', bounce_status: '5.1.1', bounce_diagnostic: 'gone' });
    });

    it('latestDelivery: the issue last sent before the report was written, else the newest', async () => {
      const s = await add('l@example.org');
      for (const [key, time] of [
        ['old', '2026-11-01T00:00:00.000Z'],
        ['new', '2026-11-20T00:00:00.000Z'],
      ] as const) {
        await sent(s.id, { ...ISSUE, key, slug: key, id: `tag:x,2026:${key}` });
        await sql`UPDATE deliveries SET sent_at = ${time} WHERE issue = ${key} AND subscriber_id = ${s.id}`.execute(db);
      }
      expect(await latestDelivery(db, s.id, new Date('2026-11-10T00:00:00Z'))).toBe('old');
      expect(await latestDelivery(db, s.id, new Date('2026-11-25T00:00:00Z'))).toBe('new');
      // A report dated before any delivery (a wrong clock): the newest.
      expect(await latestDelivery(db, s.id, new Date('2026-10-01T00:00:00Z'))).toBe('new');
      expect(await latestDelivery(db, 9999, T0)).toBeUndefined();
    });

    it('listHealth counts the last 30 days of reports only', async () => {
      const s = await add('h@example.org');
      await applyReport(db, report('old', 'none'), { subscriberId: s.id }, 3);
      await sql`UPDATE reports SET received_at = '2026-10-01T00:00:00.000Z' WHERE id = 'old'`.execute(db);
      await applyReport(db, report('recent', 'none'), { subscriberId: s.id }, 3);
      const health = await listHealth(db, new Date());
      expect(health.recent).toEqual({ unchanged: 1 });
      expect((await listHealth(db, new Date('2026-10-15T00:00:00Z'))).recent).toEqual({ unchanged: 2 });
    });
  });

  describe('the ledger', () => {
    it('lookalikeIssue: only for an issue with no deliveries of its own', async () => {
      const s = await add('x@example.org');
      const first = { key: 'first', slug: 'same', title: 'Same', id: 'tag:x,2026:first' };
      await recordIssue(db, first);
      await beginDelivery(db, first.key, s.id, '<m1@x>');
      await finishDelivery(db, first.key, s.id, { state: 'sent', response: '250' });
      const renamed = { key: 'renamed', slug: 'same', title: 'Same', id: 'tag:x,2026:renamed' };
      expect(await lookalikeIssue(db, renamed)).toMatchObject({ key: 'first' });
      // Once the renamed one has a delivery of its own, it is its own issue: no question.
      await recordIssue(db, renamed);
      const t = await add('y@example.org');
      await beginDelivery(db, renamed.key, t.id, '<m2@x>');
      expect(await lookalikeIssue(db, renamed)).toBeUndefined();
    });

    it('a refusal that bounces records the status and the words (cut to 1,000 characters)', async () => {
      const s = await add('dead@example.org');
      const issue = { key: 'k', slug: 'k', title: 'K', id: 'tag:x,2026:k' };
      await recordIssue(db, issue);
      await beginDelivery(db, 'k', s.id, '<m@x>');
      const words = `550 5.1.1 <dead@example.org>: ${'no such user '.repeat(100)}`;
      await finishDelivery(db, 'k', s.id, { state: 'failed', response: words, bounce: true });
      const d = (await firstRow(db, sql`SELECT * FROM deliveries WHERE subscriber_id = ${s.id}`))!;
      expect(d).toMatchObject({ state: 'failed', bounce: 'hard', bounce_status: '5.1.1' });
      expect(d.bounce_diagnostic).toBe(words.slice(0, 1000));
      expect(d.last_response).toBe(words.slice(0, 1000));
      expect((await getSubscriber(db, s.id))!.status).toBe('bounced');
      // No enhanced code: none recorded.
      const t = await add('dead2@example.org');
      await beginDelivery(db, 'k', t.id, '<m2@x>');
      await finishDelivery(db, 'k', t.id, { state: 'failed', response: '550 no such user', bounce: true });
      expect((await firstRow(db, sql`SELECT bounce_status FROM deliveries WHERE subscriber_id = ${t.id}`))!.bounce_status).toBeNull();
    });

    it('one process’s ledger: a message sent is stamped with no worker; a deferred one is not sent; a retry pass reads the deferred only', async () => {
      const [sent, deferred, fresh] = [await add('s@example.org'), await add('d@example.org'), await add('f@example.org')];
      const one = ledger(db);
      await one.recordIssue({ key: 'k', slug: 'k', title: 'K', id: 'tag:x,2026:k' });
      for (const r of [sent, deferred]) expect(await one.beginDelivery('k', r.id, `<${r.id}@x>`)).toBe(true);
      await one.finishDelivery('k', sent.id, { state: 'sent', response: '250' });
      await one.finishDelivery('k', deferred.id, { state: 'deferred', response: '451 later' });
      expect(await firstRow(db, sql`SELECT state, sent_by, sent_at FROM deliveries WHERE subscriber_id = ${deferred.id}`)).toEqual({
        state: 'deferred',
        sent_by: null,
        sent_at: null,
      });
      expect(await firstRow(db, sql`SELECT state, sent_by FROM deliveries WHERE subscriber_id = ${sent.id}`)).toEqual({ state: 'sent', sent_by: null });
      expect((await one.owedBatch('k', 0, 10, true)).map((r) => r.id)).toEqual([deferred.id]);
      expect((await one.owedBatch('k', 0, 10, false)).map((r) => r.id)).toEqual([deferred.id, fresh.id]);
    });

    it("claims: a worker's readers are its own until its lease ends; renewed, given back, and taken over once it lapses", async () => {
      const r = [await add('c1@example.org'), await add('c2@example.org'), await add('c3@example.org'), await add('c4@example.org')];
      const issue = { key: 'k', slug: 'k', title: 'K', id: 'tag:x,2026:k' };
      await recordIssue(db, issue);
      const ids = (rows: Array<{ id: number }>) => rows.map((x) => x.id);
      const t0 = new Date(Date.now());
      const at = (s: number) => new Date(t0.getTime() + s * 1000);
      // a claims two, until t0 + 60 s; b, at the same moment, gets the other two, never a's.
      expect(ids(await claimBatch(db, 'k', 'a', 0, 2, 'owed', at(60), t0))).toEqual([r[0]!.id, r[1]!.id]);
      expect(ids(await claimBatch(db, 'k', 'b', 0, 10, 'owed', at(60), t0))).toEqual([r[2]!.id, r[3]!.id]);
      expect(await otherWorkers(db, 'k', 'a', at(30))).toBe(1);
      expect(await otherWorkers(db, 'k', 'c', at(30))).toBe(2);
      // b may not begin a's reader; a may.
      expect(await beginDelivery(db, 'k', r[0]!.id, '<m@x>', 'b', at(30))).toBe(false);
      expect(await beginDelivery(db, 'k', r[0]!.id, '<m@x>', 'a', at(30))).toBe(true);
      await finishDelivery(db, 'k', r[0]!.id, { state: 'sent', response: '250' }, 'a');
      // a renews to t0 + 120 s: at t0 + 90 s it still holds its reader; b's lapsed, so c takes b's.
      await renewClaims(db, 'k', 'a', at(120));
      expect(ids(await claimBatch(db, 'k', 'c', 0, 10, 'owed', at(150), at(90)))).toEqual([r[2]!.id, r[3]!.id]);
      expect(await otherWorkers(db, 'k', 'c', at(90))).toBe(1);
      // A sent reader is never claimed again; a gives its claims back, and c takes what it left.
      await releaseClaims(db, 'k', 'a', at(95));
      expect(ids(await claimBatch(db, 'k', 'c', 0, 10, 'owed', at(150), at(95)))).toEqual([r[1]!.id, r[2]!.id, r[3]!.id]);
      expect(await otherWorkers(db, 'k', 'c', at(95))).toBe(0);
      // Only the deferred, or all but them: a deferred reader goes to a retry pass only.
      await beginDelivery(db, 'k', r[1]!.id, '<m2@x>', 'c', at(96));
      await finishDelivery(db, 'k', r[1]!.id, { state: 'deferred', response: '451' }, 'c');
      await releaseClaims(db, 'k', 'c', at(97));
      expect(ids(await claimBatch(db, 'k', 'd', 0, 10, 'deferred', at(200), at(98)))).toEqual([r[1]!.id]);
      expect(ids(await claimBatch(db, 'k', 'e', 0, 10, 'fresh', at(200), at(98)))).toEqual([r[2]!.id, r[3]!.id]);
      // Once d's and e's leases lapse, a claim of every owed reader takes the deferred one with the rest.
      expect(ids(await claimBatch(db, 'k', 'f', 0, 10, 'owed', at(300), at(201)))).toEqual([r[1]!.id, r[2]!.id, r[3]!.id]);
      // The claims of a worker whose lease ran out go when anyone gives theirs back.
      await releaseClaims(db, 'k', 'z', at(500));
      expect(await firstRow(db, sql`SELECT COUNT(*) AS n FROM claims`)).toEqual({ n: 0 });
    });

    it('a first pass claims the untried readers and those a killed run left mid-send, never the deferred', async () => {
      const [deferred, sending, untried] = [await add('d@example.org'), await add('s@example.org'), await add('u@example.org')];
      await recordIssue(db, { key: 'k', slug: 'k', title: 'K', id: 'tag:x,2026:k' });
      await beginDelivery(db, 'k', deferred.id, '<d@x>');
      await finishDelivery(db, 'k', deferred.id, { state: 'deferred', response: '451 later' });
      // Begun, then the run was killed before it knew.
      await beginDelivery(db, 'k', sending.id, '<s@x>');
      const t = new Date();
      const claimed = await claimBatch(db, 'k', 'w', 0, 10, 'fresh', new Date(t.getTime() + 60_000), t);
      expect(claimed.map((r) => r.id)).toEqual([sending.id, untried.id]);
    });

    // Workers on several machines share leases only on PostgreSQL; on SQLite every worker is this machine.
    it.skipIf(backend.name === 'SQLite')("a worker whose clock is ten minutes ahead reads others' leases by the server's clock", async () => {
      const readers = [await add('r1@example.org'), await add('r2@example.org'), await add('r3@example.org')];
      const issue = { key: 'k', slug: 'k', title: 'K', id: 'tag:x,2026:k' };
      const a = ledger(db, 'a');
      await a.recordIssue(issue);
      expect(await a.claimBatch('k', 0, 2, 'owed', new Date(Date.now() + 60_000))).toHaveLength(2);
      const real = Date.now.bind(Date);
      const ahead = vi.spyOn(Date, 'now').mockImplementation(() => real() + 600_000);
      try {
        const b = ledger(db, 'b');
        await b.recordIssue(issue);
        // a's claims run a minute more on the server's clock: b neither takes them nor mails their readers.
        expect((await b.claimBatch('k', 0, 10, 'owed', new Date(Date.now() + 60_000))).map((r) => r.id)).toEqual([readers[2]!.id]);
        expect(await b.otherWorkers('k')).toBe(1);
        expect(await b.beginDelivery('k', readers[0]!.id, '<m@x>')).toBe(false);
        // b's own lease ends a minute after the server's now, not eleven minutes after.
        const until = await firstRow<{ until: string }>(db, sql`SELECT until FROM claims WHERE worker = 'b'`);
        expect(Math.abs(Date.parse(until!.until) - (real() + 60_000))).toBeLessThan(5_000);
      } finally {
        ahead.mockRestore();
      }
    });
  });
  describe('the send lock', () => {
    const hold = async (pid: number, host: string, beatAt: string | null) => {
      await sql`INSERT INTO send_lock (id, pid, host, started_at, beat_at) VALUES (1, ${pid}, ${host}, '2026-01-01T00:00:00Z', ${beatAt})
                ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, beat_at = excluded.beat_at`.execute(db);
    };
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'taken',
        (e: { code?: string }) => e.code,
      );

    it('is taken over from a process gone on this machine, never from one alive', async () => {
      await hold(process.ppid, hostname(), null);
      expect(await code(acquireSendLock(db, 'the list'))).toBe('LOCKED');
      await hold(2 ** 22 + 12345, hostname(), null);
      const release = await acquireSendLock(db, 'the list');
      expect(await code(acquireSendLock(db, 'the list'))).toBe('taken');
      await release();
      expect(await firstRow(db, sql`SELECT * FROM send_lock`)).toBeUndefined();
    });

    it('from another machine, is held while its heartbeat is fresh, and taken over 90 seconds after it stops', async () => {
      await hold(process.pid, 'other-host', new Date(Date.now() - 10_000).toISOString());
      const refused = await acquireSendLock(db, 'the list').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(refused?.message).toMatch(/^another gazette send \(process \d+ on other-host, since 2026-01-01T00:00:00Z\) is running/);
      await hold(process.pid, 'other-host', new Date(Date.now() - 91_000).toISOString());
      const release = await acquireSendLock(db, 'the list');
      expect(await firstRow(db, sql`SELECT pid, host FROM send_lock`)).toEqual({ pid: process.pid, host: hostname() });
      await release();
    });
  });

  describe("who an issue is for: readers' topics and frequency", () => {
    const issue = (key: string) => ({ key, slug: key, title: key, id: `tag:x,2026:${key}` });
    const emails = (rows: Array<{ email: string }>) => rows.map((r) => r.email).sort();
    async function readers() {
      const all = await add('all@example.org');
      const models = await add('models@example.org');
      const both = await add('both@example.org');
      const weekly = await add('weekly@example.org');
      const weeklyModels = await add('weekly-models@example.org');
      await setPreferences(db, models.id, { topics: ['models'], frequency: 'daily' });
      await setPreferences(db, both.id, { topics: ['tools', 'models', 'models'], frequency: 'daily' });
      await setPreferences(db, weekly.id, { topics: [], frequency: 'weekly' });
      await setPreferences(db, weeklyModels.id, { topics: ['models'], frequency: 'weekly' });
      return { all, models, both, weekly, weeklyModels };
    }

    it('an issue goes to the daily readers whose topics it covers, or who chose none; the weekly readers only get roll-ups', async () => {
      await readers();
      const owed = (key: string, audience: Audience) => owedBatch(db, key, 0, 100, false, audience);
      expect(emails(await owed('a', { edition: 'daily', topics: ['models'] }))).toEqual(['all@example.org', 'both@example.org', 'models@example.org']);
      expect(emails(await owed('b', { edition: 'daily', topics: ['tools'] }))).toEqual(['all@example.org', 'both@example.org']);
      expect(emails(await owed('c', { edition: 'daily', topics: [] }))).toEqual(['all@example.org']);
      // A list without topics: every daily reader, whatever they once chose.
      expect(emails(await owed('d', { edition: 'daily' }))).toEqual(['all@example.org', 'both@example.org', 'models@example.org']);
      expect(emails(await owed('w', { edition: 'weekly', topics: ['models'] }))).toEqual(['weekly-models@example.org', 'weekly@example.org']);
      expect(emails(await owed('w', { edition: 'weekly', topics: ['tools'] }))).toEqual(['weekly@example.org']);
      // Exactly a set of topics: a roll-up's group.
      expect(emails(await owed('w', { edition: 'weekly', topics: ['models'], exactly: [] }))).toEqual(['weekly@example.org']);
      expect(emails(await owed('w', { edition: 'weekly', topics: ['models'], exactly: ['models'] }))).toEqual(['weekly-models@example.org']);
      expect(emails(await owed('a', { edition: 'daily', topics: ['models'], exactly: ['models'] }))).toEqual(['models@example.org']);
      expect(emails(await owed('a', { edition: 'daily', topics: ['models'], exactly: ['models', 'tools'] }))).toEqual(['both@example.org']);
      expect(await owedCount(db, 'a', { edition: 'daily', topics: ['models'] })).toBe(3);
      // By the topic that brings it: a reader of two topics counts under each.
      expect(await owedByTopic(db, 'e', { edition: 'daily', topics: ['models', 'tools'] })).toEqual({ models: 2, tools: 1, '': 1 });
      expect(await owedByTopic(db, 'f', { edition: 'daily', topics: ['tools'] })).toEqual({ tools: 1, '': 1 });
      // A topic nobody chose is counted, as none.
      expect(await owedByTopic(db, 'g', { edition: 'daily', topics: ['nobody'] })).toEqual({ nobody: 0, '': 1 });
      // A list without topics: every daily reader under none.
      expect(await owedByTopic(db, 'h', { edition: 'daily' })).toEqual({ '': 3 });
      // The distinct sets the weekly readers chose (the roll-up's groups), and the daily ones'.
      expect((await topicSets(db, 'weekly')).map((t) => t.join(' ')).sort()).toEqual(['', 'models']);
      expect((await topicSets(db, 'daily')).map((t) => t.join(' ')).sort()).toEqual(['', 'models', 'models tools']);
    });

    it('tells apart sets of topics whose keys run together (ab, and a with b)', async () => {
      const [ab, aAndB, c] = [await add('ab@example.org'), await add('a-b@example.org'), await add('c@example.org')];
      await setPreferences(db, ab.id, { topics: ['ab'], frequency: 'weekly' });
      await setPreferences(db, aAndB.id, { topics: ['a', 'b'], frequency: 'weekly' });
      await setPreferences(db, c.id, { topics: ['c'], frequency: 'weekly' });
      expect((await topicSets(db, 'weekly')).sort()).toEqual([['a', 'b'], ['ab'], ['c']]);
    });

    it('the audience is recorded with the issue: status counts who it was for', async () => {
      const { all, weekly } = await readers();
      await recordIssue(db, issue('w'), { edition: 'weekly', topics: ['tools'] });
      await recordIssue(db, issue('d'), { edition: 'daily', topics: ['models'] });
      await recordIssue(db, issue('e'));
      await recordIssue(db, issue('two'), { edition: 'daily', topics: ['tools', 'models'] });
      expect(await firstRow(db, sql`SELECT edition, topics FROM issues WHERE key = 'w'`)).toEqual({ edition: 'weekly', topics: 'tools' });
      expect(await firstRow(db, sql`SELECT edition, topics FROM issues WHERE key = 'e'`)).toEqual({ edition: 'daily', topics: null });
      const owedOf = async (key: string) => (await deliveryStatus(db, key)).find((s) => s.key === key)!.owed;
      expect(await owedOf('w')).toBe(1);
      expect(await owedOf('d')).toBe(3);
      expect(await owedOf('e')).toBe(3);
      // Two topics: the readers of either, and those who chose none.
      expect(await owedOf('two')).toBe(3);
      // The relay and the worker of each message sent, and who sent how much (unnamed ones apart).
      await beginDelivery(db, 'e', all.id, '<m@x>', 'host:1');
      await finishDelivery(db, 'e', all.id, { state: 'sent', response: '250', relay: 'spare' }, 'host:1');
      const t = await add('t@example.org');
      await beginDelivery(db, 'e', t.id, '<m2@x>');
      await finishDelivery(db, 'e', t.id, { state: 'sent', response: '250' });
      expect(await firstRow(db, sql`SELECT relay, sent_by FROM deliveries WHERE subscriber_id = ${all.id}`)).toEqual({ relay: 'spare', sent_by: 'host:1' });
      expect(await firstRow(db, sql`SELECT relay, sent_by FROM deliveries WHERE subscriber_id = ${t.id}`)).toEqual({ relay: null, sent_by: null });
      const status = (await deliveryStatus(db, 'e')).find((s) => s.key === 'e')!;
      expect(status.relays).toEqual({ spare: 1, unrecorded: 1 });
      expect(status.senders).toEqual({ 'host:1': 1, unrecorded: 1 });
      expect(weekly.id).toBeGreaterThan(0);
    });
  });

  describe("a reader's preferences", () => {
    it('are replaced as a whole, topics once each in order, with the time they were chosen; another reader’s stay', async () => {
      const ann = await add('ann@example.org');
      const bob = await add('bob@example.org');
      await setPreferences(db, bob.id, { topics: ['tools'], frequency: 'daily' }, T0.toISOString());
      await setPreferences(db, ann.id, { topics: ['tools', 'models', 'tools'], frequency: 'weekly' }, T0.toISOString());
      expect(await topicsOf(db, [ann.id, bob.id])).toEqual(
        new Map([
          [ann.id, ['models', 'tools']],
          [bob.id, ['tools']],
        ]),
      );
      expect(await getSubscriber(db, ann.id)).toMatchObject({ frequency: 'weekly', preferences_at: T0.toISOString(), updated_at: T0.toISOString() });
      await setPreferences(db, ann.id, { topics: [], frequency: 'daily' }, later(1000).toISOString());
      expect((await topicsOf(db, [ann.id])).get(ann.id)).toEqual([]);
      expect(await getSubscriber(db, ann.id)).toMatchObject({ frequency: 'daily', preferences_at: later(1000).toISOString() });
      expect((await topicsOf(db, [bob.id])).get(bob.id)).toEqual(['tools']);
      // No readers asked: none looked up; a reader with no row of topics: none.
      expect(await topicsOf(db, [])).toEqual(new Map());
      expect(await topicsOf(db, [999])).toEqual(new Map([[999, []]]));
    });

    it('are the same choice whatever the order or repeats of the topics, not when a topic or the frequency differs', () => {
      expect(samePreferences({ topics: ['a', 'b'], frequency: 'daily' }, { topics: ['b', 'a', 'b'], frequency: 'daily' })).toBe(true);
      expect(samePreferences({ topics: [], frequency: 'daily' }, { topics: [], frequency: 'daily' })).toBe(true);
      expect(samePreferences({ topics: ['a'], frequency: 'daily' }, { topics: ['a'], frequency: 'weekly' })).toBe(false);
      expect(samePreferences({ topics: ['a'], frequency: 'daily' }, { topics: ['a', 'b'], frequency: 'daily' })).toBe(false);
      expect(samePreferences({ topics: ['a b'], frequency: 'daily' }, { topics: ['a', 'b'], frequency: 'daily' })).toBe(false);
    });
  });

  describe('shared request and message counts (countHit)', () => {
    it('counts hits in a window that begins with the first and starts afresh once it is a window old; keys apart', async () => {
      const t = (ms: number) => new Date(T0.getTime() + ms);
      expect(await countHit(db, 'k', 1000, t(0))).toEqual({ hits: 1, start: t(0) });
      expect(await countHit(db, 'k', 1000, t(500))).toEqual({ hits: 2, start: t(0) });
      expect(await countHit(db, 'k', 1000, t(999))).toEqual({ hits: 3, start: t(0) });
      expect(await countHit(db, 'other', 1000, t(999))).toEqual({ hits: 1, start: t(999) });
      // A window old: a new one begins.
      expect(await countHit(db, 'k', 1000, t(1000))).toEqual({ hits: 1, start: t(1000) });
      expect(await countHit(db, 'k', 1000, t(1001))).toEqual({ hits: 2, start: t(1000) });
    });

    it('a window that begins prunes the windows begun a day before it, and only those', async () => {
      const DAY = 86_400_000;
      const t = (ms: number) => new Date(T0.getTime() + ms);
      await countHit(db, 'old', 1000, t(0));
      await countHit(db, 'recent', 1000, t(DAY));
      // A hit inside a window begins nothing and prunes nothing.
      await countHit(db, 'recent', 1000, t(DAY + 500));
      const keys = () => firstRow(db, sql`SELECT COUNT(*) AS n FROM rate_limits`);
      expect(await keys()).toEqual({ n: 2 });
      // A day and a moment on, a new client's window begins: the one begun a day before it goes, the others stay.
      await countHit(db, 'new', 1000, t(DAY + 1));
      expect(await firstRow(db, sql`SELECT COUNT(*) AS n FROM rate_limits WHERE key = 'old'`)).toEqual({ n: 0 });
      expect(await keys()).toEqual({ n: 2 });
      expect(await countHit(db, 'recent', 1000, t(DAY + 900))).toEqual({ hits: 3, start: t(DAY) });
    });
  });

  describe("a relay's daily limit", () => {
    const HOUR = 3_600_000;

    it('gives exactly its slots to takers at once, then says when the oldest hour leaves the count', async () => {
      const at = new Date(Math.floor(T0.getTime() / HOUR) * HOUR + 1000);
      const taken = await Promise.all(Array.from({ length: 30 }, () => quotaSlot(db, 'relay a', 10, at)));
      expect(taken.filter((t) => t === undefined)).toHaveLength(10);
      // Full: the slots of this hour free when it is 25 hours old (the count spans the hour and the 24 before).
      for (const until of taken.filter(Boolean)) expect(until).toEqual(new Date(at.getTime() - 1000 + 25 * HOUR));
      // Another relay's count is its own.
      expect(await quotaSlot(db, 'relay b', 1, at)).toBeUndefined();
      expect(await quotaSlot(db, 'relay b', 1, at)).toEqual(new Date(at.getTime() - 1000 + 25 * HOUR));
    });

    it('frees slots hour by hour, no sooner than a day after they were taken', async () => {
      const hour0 = Math.floor(T0.getTime() / HOUR) * HOUR;
      for (let i = 0; i < 3; i++) expect(await quotaSlot(db, 'relay a', 5, new Date(hour0))).toBeUndefined();
      for (let i = 0; i < 2; i++) expect(await quotaSlot(db, 'relay a', 5, new Date(hour0 + 5 * HOUR))).toBeUndefined();
      // Full from then on, until the first hour's three leave the count.
      expect(await quotaSlot(db, 'relay a', 5, new Date(hour0 + 24 * HOUR + HOUR - 1))).toEqual(new Date(hour0 + 25 * HOUR));
      expect(await quotaSlot(db, 'relay a', 5, new Date(hour0 + 25 * HOUR))).toBeUndefined();
      // Three slots freed, one taken: two left this hour; then full until the second hour's leave.
      expect(await quotaSlot(db, 'relay a', 5, new Date(hour0 + 25 * HOUR))).toBeUndefined();
      expect(await quotaSlot(db, 'relay a', 5, new Date(hour0 + 25 * HOUR))).toBeUndefined();
      expect(await quotaSlot(db, 'relay a', 5, new Date(hour0 + 25 * HOUR))).toEqual(new Date(hour0 + 30 * HOUR));
      // Hours past the count are forgotten when a new hour begins.
      expect(await quotaSlot(db, 'relay a', 5, new Date(hour0 + 60 * HOUR))).toBeUndefined();
      expect(await firstRow(db, sql`SELECT COUNT(*) AS n FROM quota_hits WHERE key = 'relay a'`)).toEqual({ n: 1 });
    });

    it('the first message of an hour forgets the hours past the count, and keeps those in it', async () => {
      const hour0 = Math.floor(T0.getTime() / HOUR) * HOUR;
      const buckets = () => firstRow(db, sql`SELECT COUNT(*) AS n FROM quota_hits WHERE key = 'relay a'`);
      await quotaSlot(db, 'relay a', 100, new Date(hour0));
      await quotaSlot(db, 'relay a', 100, new Date(hour0 + 20 * HOUR));
      // The second message of an hour forgets nothing: hour 0 is still in the count at hour 20.
      await quotaSlot(db, 'relay a', 100, new Date(hour0 + 20 * HOUR));
      expect(await buckets()).toEqual({ n: 2 });
      // At hour 30, hour 0 is past the count, hour 20 in it.
      await quotaSlot(db, 'relay a', 100, new Date(hour0 + 30 * HOUR));
      expect(await firstRow(db, sql`SELECT COUNT(*) AS n FROM quota_hits WHERE key = 'relay a' AND bucket = ${hour0 / HOUR}`)).toEqual({ n: 0 });
      expect(await buckets()).toEqual({ n: 2 });
    });

    it('a limit lowered below the count already taken frees a slot only when enough hours have left', async () => {
      const hour0 = Math.floor(T0.getTime() / HOUR) * HOUR;
      for (const h of [0, 1, 2]) expect(await quotaSlot(db, 'relay a', 3, new Date(hour0 + h * HOUR))).toBeUndefined();
      // Three taken, the limit now two: hours 0 and 1 must both leave (hour 1 leaves the count at hour 26).
      expect(await quotaSlot(db, 'relay a', 2, new Date(hour0 + 3 * HOUR))).toEqual(new Date(hour0 + 26 * HOUR));
    });
  });
});
