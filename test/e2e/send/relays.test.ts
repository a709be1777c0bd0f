import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseLocation } from '../../../src/config/index.js';
import { firstRow, onEachBackend, sql } from '../../helpers/backends.js';
import { freePort } from '../../helpers/imap.js';
import { gazetteWith, rowsOf, sendSite as sendSiteOn, withList } from '../../helpers/send.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

const servers: TestSmtp[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function relay(behaviour: Parameters<typeof startSmtp>[0] = {}): Promise<TestSmtp> {
  const server = await startSmtp(behaviour);
  servers.push(server);
  return server;
}

/** `[[smtp]]` tables, each `name = …` with its settings. */
const relayTables = (relays: Array<Record<string, string | number>>) =>
  relays
    .map(
      (r) =>
        `\n[[smtp]]\n${Object.entries(r)
          .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
          .join('\n')}\n`,
    )
    .join('');

const byRelay = (database: DatabaseLocation) =>
  rowsOf(database, sql`SELECT relay, COUNT(*) AS n FROM deliveries WHERE state = 'sent' GROUP BY relay ORDER BY relay`);

onEachBackend('relays', (backend) => {
  const sendSite = (count: number, options: Parameters<typeof sendSiteOn>[1] = {}) => sendSiteOn(count, { ...options, backend });

  describe('gazette send through several relays ([[smtp]])', () => {
    it('spreads an issue over the relays by weight, logs in to each with its own password, and records which carried each message', async () => {
      const a = await relay();
      const b = await relay({ starttls: true, auth: { user: 'bee', pass: 'b-relay-pa55word' } });
      const site = await sendSite(30, {
        extraConfig: relayTables([
          { name: 'relay-a', host: '127.0.0.1', port: a.port, weight: 2 },
          { name: 'relay-b', url: `smtp://bee@127.0.0.1:${b.port}` },
        ]),
      });
      const env = { GAZETTE_SMTP_PASSWORD_RELAY_B: 'b-relay-pa55word' };
      const run = await gazetteWith(env, 'send', '--yes', '--config', site.config);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`via relay-a (smtp://127.0.0.1:${a.port}), relay-b (smtp://127.0.0.1:${b.port})`);
      expect(run.stdout).toContain('30 delivered, 0 failed, 0 skipped, 0 still owed');
      expect(a.received).toHaveLength(20);
      expect(b.received).toHaveLength(10);
      expect(b.logins.every((login) => login.secure && login.user === 'bee')).toBe(true);
      for (let i = 0; i < 30; i++) expect(a.copies(`sub${i}@example.org`) + b.copies(`sub${i}@example.org`)).toBe(1);
      expect(await byRelay(site.database)).toEqual([
        { relay: 'relay-a', n: 20 },
        { relay: 'relay-b', n: 10 },
      ]);
      const status = await gazetteWith(env, 'status', '--config', site.config);
      expect(status.stdout).toContain('issue-one went through 2 relays: relay-a 20, relay-b 10');
      expect(`${run.stdout}${run.stderr}${status.stdout}${status.stderr}`).not.toContain('pa55word');
    });

    it('takes out a relay that refuses the sender by policy, and one where nothing listens: the third carries every message, once', async () => {
      const refusing = await relay({ mailFrom: () => ({ code: 550, message: '5.7.1 Sender blocked by policy' }) });
      const good = await relay();
      const closed = await freePort();
      const site = await sendSite(12, {
        extraConfig: relayTables([
          { name: 'refusing', host: '127.0.0.1', port: refusing.port, weight: 5 },
          { name: 'gone', host: '127.0.0.1', port: closed, weight: 5 },
          { name: 'good', host: '127.0.0.1', port: good.port },
        ]),
      });
      const run = await gazetteWith({}, 'send', '--yes', '--config', site.config);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('12 delivered, 0 failed, 0 skipped, 0 still owed');
      expect(refusing.received).toHaveLength(0);
      expect(good.received).toHaveLength(12);
      expect(run.stderr).toMatch(
        /warning: relay refusing was taken out of the run \(its messages went to the others\): refused the sender: 550 5\.7\.1 Sender blocked by policy/,
      );
      expect(run.stderr).toMatch(/warning: relay gone was taken out of the run \(its messages went to the others\): .*ECONNREFUSED/);
      await withList(site.database, async (db) => {
        expect(await firstRow(db, sql`SELECT COUNT(*) AS n FROM subscribers WHERE status = 'subscribed'`)).toEqual({ n: 12 });
      });
      // A test copy goes the same way: past the relays that refuse, through the one that takes it.
      const copy = await gazetteWith({}, 'send', '--to', 'me@example.org', '--config', site.config);
      expect(copy.code, copy.stderr).toBe(0);
      expect(good.copies('me@example.org')).toBe(1);
    });

    it('stops at the relays’ daily limits, says when to go on, and goes on from there once a day has passed', async () => {
      const a = await relay();
      const b = await relay();
      const site = await sendSite(10, {
        extraConfig: relayTables([
          { name: 'a', host: '127.0.0.1', port: a.port, daily_limit: 4 },
          { name: 'b', host: '127.0.0.1', port: b.port, daily_limit: 3 },
        ]),
      });
      const first = await gazetteWith({}, 'send', '--yes', '--config', site.config);
      expect(first.code).toBe(3);
      expect(first.stdout).toContain('7 delivered, 0 failed, 0 skipped, 3 still owed');
      expect(first.stderr).toMatch(
        /Every relay is at its daily limit: 3 subscribers still owed; run the same command again after \d{4}-\d\d-\d\d \d\d:\d\d UTC\./,
      );
      expect([a.received.length, b.received.length]).toEqual([4, 3]);
      // Again at once: nothing goes, nothing is spent.
      const again = await gazetteWith({}, 'send', '--yes', '--config', site.config);
      expect(again.code).toBe(3);
      expect(again.stdout).toContain('0 delivered, 0 failed, 0 skipped, 3 still owed');
      expect(a.received.length + b.received.length).toBe(7);
      // A day later (the counts moved back 25 hours), the rest go, each reader once.
      await withList(site.database, (db) => sql`UPDATE quota_hits SET bucket = bucket - 25`.execute(db));
      const later = await gazetteWith({}, 'send', '--yes', '--config', site.config);
      expect(later.code, later.stderr).toBe(0);
      expect(later.stdout).toContain('3 delivered, 0 failed, 0 skipped, 0 still owed');
      for (let i = 0; i < 10; i++) expect(a.copies(`sub${i}@example.org`) + b.copies(`sub${i}@example.org`)).toBe(1);
    });

    it('keeps each relay to its rate_limit', async () => {
      const a = await relay();
      const b = await relay();
      const site = await sendSite(8, {
        extraConfig: relayTables([
          { name: 'slow', host: '127.0.0.1', port: a.port, rate_limit: 2 },
          { name: 'fast', host: '127.0.0.1', port: b.port },
        ]),
      });
      const started = Date.now();
      const run = await gazetteWith({}, 'send', '--yes', '--config', site.config);
      expect(run.code, run.stderr).toBe(0);
      // Half of eight through the slow relay, two a second: its third and fourth cannot leave before a second has passed.
      expect(a.received).toHaveLength(4);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    });
  });
});
