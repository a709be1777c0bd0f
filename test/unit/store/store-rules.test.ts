import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  applyReport,
  type Db,
  getSubscriber,
  latestDelivery,
  lookalikeIssue,
  openDatabase,
  releaseSlot,
  reserveConfirmation,
} from '../../../src/store/index.js';
import { beginDelivery, finishDelivery, recordIssue } from '../../../src/store/ledger.js';
import { listHealth, type ReportRecord } from '../../../src/store/reports.js';
import { insertSubscriber, setStatus } from '../../../src/store/subscribers.js';
import { CONFIRM_INTERVAL_MS, confirmSubscription, leave, mailboxOf, requestSubscription, undoLeave } from '../../../src/store/subscriptions.js';

/**
 * The store's rules for readers and reports, each on a real SQLite file:
 * what a subscribe request, a confirmation, an undo and a report may change,
 * and what they must leave alone. (Found by mutation testing: see docs/mutation.md.)
 */

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

let db: Db;
beforeEach(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gazette-store-'));
  dirs.push(dir);
  db = openDatabase(path.join(dir, 'gazette.db'));
  return () => db.close();
});

const CAPS = { perHour: 1000, perDomainPerHour: 100 };
const T0 = new Date('2026-12-02T08:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const add = (email: string, status: 'pending' | 'subscribed' | 'unsubscribed' | 'bounced' = 'subscribed') =>
  insertSubscriber(db, { email, name: '', status, source: 'test' });

describe('mailboxOf: the inbox an address reaches', () => {
  it('folds case and +tags; Gmail dots and googlemail.com; a leading + is not a tag', () => {
    expect(mailboxOf('Ann+News@Example.ORG')).toEqual({ mailbox: 'ann@example.org', domain: 'example.org' });
    expect(mailboxOf('A.Nn+1@GoogleMail.com')).toEqual({ mailbox: 'ann@gmail.com', domain: 'gmail.com' });
    expect(mailboxOf('a.nn@example.org')).toEqual({ mailbox: 'a.nn@example.org', domain: 'example.org' });
    expect(mailboxOf('+x@example.org')).toEqual({ mailbox: '+x@example.org', domain: 'example.org' });
  });
});

describe('requestSubscription', () => {
  it('keeps an unknown address as pending, from the web, with its name, and takes the hour’s slot', () => {
    const r = requestSubscription(db, 'new@example.org', 'New Reader', CAPS, T0);
    expect(r.mailTo).toMatchObject({ email: 'new@example.org', name: 'New Reader', status: 'pending', source: 'web', confirm_sent_at: T0.toISOString() });
    expect(r.slot).toMatchObject({ subscriberId: r.mailTo!.id, previous: null });
    expect(r.quiet).toBeUndefined();
  });

  it('mails a subscribed address nothing and keeps its name; renames a pending one', () => {
    const s = add('sub@example.org');
    expect(requestSubscription(db, 'sub@example.org', 'Someone Else', CAPS, T0)).toEqual({ quiet: 'subscribed' });
    expect(getSubscriber(db, s.id)!.name).toBe('');
    const p = add('pend@example.org', 'pending');
    requestSubscription(db, 'pend@example.org', 'Pat', CAPS, T0);
    expect(getSubscriber(db, p.id)!.name).toBe('Pat');
  });

  it('one confirmation per mailbox an hour: another +tag within it is quiet; an hour later, one more', () => {
    expect(requestSubscription(db, 'ann@example.org', undefined, CAPS, T0).mailTo).toBeDefined();
    expect(requestSubscription(db, 'Ann+2@example.org', undefined, CAPS, later(60_000))).toEqual({ quiet: 'recently-asked' });
    expect(requestSubscription(db, 'ann@example.org', undefined, CAPS, later(CONFIRM_INTERVAL_MS - 1000))).toEqual({ quiet: 'recently-asked' });
    expect(requestSubscription(db, 'ann@example.org', undefined, CAPS, later(CONFIRM_INTERVAL_MS + 1000)).mailTo).toBeDefined();
  });

  it('a released slot (the mail failed) lets the reader ask again at once, and restores when they were last asked', () => {
    const first = requestSubscription(db, 'bob@example.org', undefined, CAPS, T0);
    releaseSlot(db, first.slot!);
    expect(getSubscriber(db, first.mailTo!.id)!.confirm_sent_at).toBeNull();
    const again = requestSubscription(db, 'bob@example.org', undefined, CAPS, later(1000));
    expect(again.mailTo).toBeDefined();
    expect(again.slot!.previous).toBeNull();
  });

  it('the caps: past the hour’s total, or a domain’s share, every address is told alike', () => {
    const caps = { perHour: 3, perDomainPerHour: 2 };
    expect(requestSubscription(db, 'a@one.example', undefined, caps, T0).mailTo).toBeDefined();
    expect(requestSubscription(db, 'b@one.example', undefined, caps, T0).mailTo).toBeDefined();
    expect(requestSubscription(db, 'c@one.example', undefined, caps, T0)).toEqual({ busy: true });
    expect(requestSubscription(db, 'd@two.example', undefined, caps, T0).mailTo).toBeDefined();
    expect(requestSubscription(db, 'e@three.example', undefined, caps, T0)).toEqual({ busy: true });
    // An hour on, the old confirmations no longer count.
    expect(requestSubscription(db, 'e@three.example', undefined, caps, later(CONFIRM_INTERVAL_MS + 1)).mailTo).toBeDefined();
  });
});

describe('reserveConfirmation (invite)', () => {
  it('takes a slot once an hour per subscriber; none for an unknown id', () => {
    const p = add('inv@example.org', 'pending');
    const slot = reserveConfirmation(db, p.id, T0)!;
    expect(slot).toMatchObject({ subscriberId: p.id, previous: null });
    expect(reserveConfirmation(db, p.id, later(CONFIRM_INTERVAL_MS - 1000))).toBeUndefined();
    // Exactly an hour after the last: due again.
    const q0 = add('edge@example.org', 'pending');
    reserveConfirmation(db, q0.id, T0);
    expect(reserveConfirmation(db, q0.id, later(CONFIRM_INTERVAL_MS))).toBeDefined();
    expect(reserveConfirmation(db, p.id, later(CONFIRM_INTERVAL_MS + 1000))).toMatchObject({ previous: T0.toISOString() });
    expect(reserveConfirmation(db, 9999, T0)).toBeUndefined();
    // Recorded for the mailbox: the form mails it no second one within the hour.
    const q = add('inv2@example.org', 'pending');
    reserveConfirmation(db, q.id, T0);
    expect(requestSubscription(db, 'INV2+x@example.org', undefined, CAPS, later(1000))).toEqual({ quiet: 'recently-asked' });
    // Given back, the subscriber's time is what it was.
    const r = add('inv3@example.org', 'pending');
    releaseSlot(db, reserveConfirmation(db, r.id, T0)!);
    expect(getSubscriber(db, r.id)!.confirm_sent_at).toBeNull();
  });
});

describe('confirm, leave, undo', () => {
  it('confirmSubscription: a pending reader is subscribed; a subscribed one, an unknown id or a complainer is not changed', () => {
    const p = add('p@example.org', 'pending');
    expect(confirmSubscription(db, p.id)).toBe('subscribed');
    expect(getSubscriber(db, p.id)!.status).toBe('subscribed');
    expect(confirmSubscription(db, p.id)).toBe('already');
    expect(confirmSubscription(db, 9999)).toBe('already');
    const c = add('c@example.org');
    setStatus(db, c.id, 'unsubscribed', 'complaint');
    expect(confirmSubscription(db, c.id)).toBe('already');
    expect(getSubscriber(db, c.id)!.status).toBe('unsubscribed');
    const gone = add('gone@example.org');
    setStatus(db, gone.id, 'unsubscribed', 'page');
    expect(confirmSubscription(db, gone.id)).toBe('subscribed');
  });

  it('undoLeave: only a reader’s own leaving is undone', () => {
    const a = add('a@example.org');
    expect(leave(db, a.id, 'one-click')).toBe('unsubscribed');
    expect(undoLeave(db, a.id)).toBe('subscribed');
    expect(getSubscriber(db, a.id)!.status).toBe('subscribed');
    expect(undoLeave(db, a.id)).toBe('subscribed');
    const b = add('b@example.org');
    leave(db, b.id, 'page');
    expect(undoLeave(db, b.id)).toBe('subscribed');
    for (const how of ['command', 'import', 'complaint'] as const) {
      const x = add(`${how}@example.org`);
      setStatus(db, x.id, 'unsubscribed', how);
      expect(undoLeave(db, x.id)).toBe('unchanged');
      expect(getSubscriber(db, x.id)!.status).toBe('unsubscribed');
    }
    const bounced = add('bounced@example.org', 'bounced');
    expect(undoLeave(db, bounced.id)).toBe('unchanged');
    expect(getSubscriber(db, bounced.id)!.status).toBe('bounced');
    expect(undoLeave(db, 9999)).toBe('unchanged');
    const pending = add('pending@example.org', 'pending');
    expect(undoLeave(db, pending.id)).toBe('unchanged');
  });
});

describe('reports', () => {
  const ISSUE = { key: 'issue-one', slug: 'issue-one', title: 'Issue one', id: 'tag:example.org,2026-12-01:issue-one' };
  const sent = (subscriberId: number, issue = ISSUE) => {
    recordIssue(db, issue);
    beginDelivery(db, issue.key, subscriberId, `<${issue.key}.${subscriberId}@example.org>`);
    finishDelivery(db, issue.key, subscriberId, { state: 'sent', response: '250 ok' });
  };
  const report = (id: string, kind: ReportRecord['kind'], extra: Partial<ReportRecord> = {}): ReportRecord => ({ id, source: 'mail', kind, at: T0, ...extra });
  const row = (id: string) => db.prepare('SELECT * FROM reports WHERE id = ?').get(id) as Record<string, unknown>;
  const delivery = (subscriberId: number) => db.prepare('SELECT * FROM deliveries WHERE subscriber_id = ?').get(subscriberId) as Record<string, unknown>;

  it('records who and which issue a report is about, its status and diagnostic (cut to 1,000 characters); twice is a duplicate', () => {
    const s = add('s@example.org');
    sent(s.id);
    const long = `550 5.1.1 ${'x'.repeat(1500)}`;
    expect(applyReport(db, report('r1', 'hard', { status: '5.1.1', diagnostic: long }), { subscriberId: s.id, issue: ISSUE.key }, 3)).toBe('bounced');
    expect(row('r1')).toMatchObject({ subscriber_id: s.id, issue: ISSUE.key, status: '5.1.1', outcome: 'bounced', kind: 'hard' });
    expect(row('r1').diagnostic).toBe(long.slice(0, 1000));
    expect(delivery(s.id)).toMatchObject({ bounce: 'hard', bounce_status: '5.1.1', bounce_diagnostic: long.slice(0, 1000) });
    expect(applyReport(db, report('r1', 'hard'), { subscriberId: s.id, issue: ISSUE.key }, 3)).toBe('duplicate');
    // Unmatched: kept with no subscriber, no issue.
    expect(applyReport(db, report('r2', 'hard'), undefined, 3)).toBe('unmatched');
    expect(row('r2')).toMatchObject({ subscriber_id: null, issue: null, status: null, diagnostic: null, outcome: 'unmatched' });
  });

  it('a complaint unsubscribes for good, once; a hard bounce leaves one who left as they are', () => {
    const s = add('c@example.org');
    sent(s.id);
    expect(applyReport(db, report('c1', 'complaint'), { subscriberId: s.id, issue: ISSUE.key }, 3)).toBe('unsubscribed');
    expect(getSubscriber(db, s.id)).toMatchObject({ status: 'unsubscribed', unsubscribed_how: 'complaint' });
    expect(delivery(s.id).complained_at).toBe(T0.toISOString());
    expect(applyReport(db, report('c2', 'complaint'), { subscriberId: s.id, issue: ISSUE.key }, 3)).toBe('unchanged');
    // One who left by the page, then complains: the complaint is recorded as why.
    const left = add('left@example.org');
    setStatus(db, left.id, 'unsubscribed', 'page');
    expect(applyReport(db, report('c3', 'complaint'), { subscriberId: left.id }, 3)).toBe('unsubscribed');
    expect(getSubscriber(db, left.id)!.unsubscribed_how).toBe('complaint');
    // A hard bounce after they left changes nothing of theirs.
    const gone = add('gone@example.org');
    sent(gone.id);
    setStatus(db, gone.id, 'unsubscribed', 'page');
    expect(applyReport(db, report('h1', 'hard'), { subscriberId: gone.id, issue: ISSUE.key }, 3)).toBe('unchanged');
    expect(getSubscriber(db, gone.id)!.status).toBe('unsubscribed');
    // A pending reader's confirmation bounces: bounced, with no issue to mark.
    const p = add('p@example.org', 'pending');
    expect(applyReport(db, report('h2', 'hard'), { subscriberId: p.id }, 3)).toBe('bounced');
  });

  it('soft bounces are counted on the delivery; bounced only when the last issues all bounced', () => {
    const s = add('soft@example.org');
    const issues = [1, 2].map((n) => ({ ...ISSUE, key: `i${n}`, slug: `i${n}`, id: `tag:x,2026:i${n}` }));
    sent(s.id, issues[0]);
    expect(applyReport(db, report('s1', 'soft', { status: '4.2.2' }), { subscriberId: s.id, issue: 'i1' }, 2)).toBe('counted');
    expect(getSubscriber(db, s.id)!.status).toBe('subscribed');
    sent(s.id, issues[1]);
    expect(applyReport(db, report('s2', 'soft'), { subscriberId: s.id, issue: 'i2' }, 2)).toBe('bounced');
  });

  it('latestDelivery: the issue last sent before the report was written, else the newest', () => {
    const s = add('l@example.org');
    const at = db.prepare('UPDATE deliveries SET sent_at = ? WHERE issue = ? AND subscriber_id = ?');
    for (const [key, time] of [
      ['old', '2026-11-01T00:00:00.000Z'],
      ['new', '2026-11-20T00:00:00.000Z'],
    ] as const) {
      sent(s.id, { ...ISSUE, key, slug: key, id: `tag:x,2026:${key}` });
      at.run(time, key, s.id);
    }
    expect(latestDelivery(db, s.id, new Date('2026-11-10T00:00:00Z'))).toBe('old');
    expect(latestDelivery(db, s.id, new Date('2026-11-25T00:00:00Z'))).toBe('new');
    // A report dated before any delivery (a wrong clock): the newest.
    expect(latestDelivery(db, s.id, new Date('2026-10-01T00:00:00Z'))).toBe('new');
    expect(latestDelivery(db, 9999, T0)).toBeUndefined();
  });

  it('listHealth counts the last 30 days of reports only', () => {
    const s = add('h@example.org');
    applyReport(db, report('old', 'none'), { subscriberId: s.id }, 3);
    db.prepare("UPDATE reports SET received_at = '2026-10-01T00:00:00.000Z' WHERE id = 'old'").run();
    applyReport(db, report('recent', 'none'), { subscriberId: s.id }, 3);
    const health = listHealth(db, new Date());
    expect(health.recent).toEqual({ unchanged: 1 });
    expect(listHealth(db, new Date('2026-10-15T00:00:00Z')).recent).toEqual({ unchanged: 2 });
  });
});

describe('the ledger', () => {
  it('lookalikeIssue: only for an issue with no deliveries of its own', () => {
    const s = add('x@example.org');
    const first = { key: 'first', slug: 'same', title: 'Same', id: 'tag:x,2026:first' };
    recordIssue(db, first);
    beginDelivery(db, first.key, s.id, '<m1@x>');
    finishDelivery(db, first.key, s.id, { state: 'sent', response: '250' });
    const renamed = { key: 'renamed', slug: 'same', title: 'Same', id: 'tag:x,2026:renamed' };
    expect(lookalikeIssue(db, renamed)).toMatchObject({ key: 'first' });
    // Once the renamed one has a delivery of its own, it is its own issue: no question.
    recordIssue(db, renamed);
    const t = add('y@example.org');
    beginDelivery(db, renamed.key, t.id, '<m2@x>');
    expect(lookalikeIssue(db, renamed)).toBeUndefined();
  });

  it('a refusal that bounces records the status and the words (cut to 1,000 characters)', () => {
    const s = add('dead@example.org');
    const issue = { key: 'k', slug: 'k', title: 'K', id: 'tag:x,2026:k' };
    recordIssue(db, issue);
    beginDelivery(db, 'k', s.id, '<m@x>');
    const words = `550 5.1.1 <dead@example.org>: ${'no such user '.repeat(100)}`;
    finishDelivery(db, 'k', s.id, { state: 'failed', response: words, bounce: true });
    const d = db.prepare('SELECT * FROM deliveries WHERE subscriber_id = ?').get(s.id) as Record<string, unknown>;
    expect(d).toMatchObject({ state: 'failed', bounce: 'hard', bounce_status: '5.1.1' });
    expect(d.bounce_diagnostic).toBe(words.slice(0, 1000));
    expect(d.last_response).toBe(words.slice(0, 1000));
    expect(getSubscriber(db, s.id)!.status).toBe('bounced');
    // No enhanced code: none recorded.
    const t = add('dead2@example.org');
    beginDelivery(db, 'k', t.id, '<m2@x>');
    finishDelivery(db, 'k', t.id, { state: 'failed', response: '550 no such user', bounce: true });
    expect((db.prepare('SELECT bounce_status FROM deliveries WHERE subscriber_id = ?').get(t.id) as { bounce_status: unknown }).bounce_status).toBeNull();
  });
});
