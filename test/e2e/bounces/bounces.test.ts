import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importReports } from '../../../src/bounces/index.js';
import type { DatabaseLocation } from '../../../src/config/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { getSubscriber } from '../../../src/store/index.js';
import { readBounceAddress } from '../../../src/tokens/index.js';
import { firstRow, onEachBackend, sql } from '../../helpers/backends.js';
import { DOMAIN, REPORT_CASES, report, type SentSite, sentSite as sentSiteOn, statusOf } from '../../helpers/reports.js';
import { gazetteWith, rowsOf, SECRET, sendSite as sendSiteOn, withList } from '../../helpers/send.js';
import { ROOT } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

async function bounceOf(
  database: DatabaseLocation,
  email: string,
): Promise<{ bounce: string | null; bounce_status: string | null; complained_at: string | null }> {
  const [row] = await rowsOf(
    database,
    sql<{
      bounce: string | null;
      bounce_status: string | null;
      complained_at: string | null;
    }>`SELECT d.bounce, d.bounce_status, d.complained_at FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = ${email} ORDER BY d.created_at DESC`,
  );
  return row!;
}

async function importFile(site: Pick<SentSite, 'dir' | 'config'>, name: string, data: Buffer, ...flags: string[]) {
  const file = path.join(site.dir, name);
  await writeFile(file, data);
  return gazetteWith({}, 'bounces', 'import', file, ...flags, '--config', site.config);
}

onEachBackend('bounces', (backend) => {
  const sentSite = (count: number, extra = '') => sentSiteOn(count, extra, backend);
  const sendSite = (count: number, options: Parameters<typeof sendSiteOn>[1] = {}) => sendSiteOn(count, { ...options, backend });

  describe('VERP: each message has its own envelope sender', () => {
    it('sends from bounces+<token>@return_path_domain, one per subscriber, naming subscriber and issue', async () => {
      const site = await sentSite(3);
      const froms = site.smtp.received.map((r) => r.from);
      expect(new Set(froms).size).toBe(3);
      await withList(site.database, async (db) => {
        for (const r of site.smtp.received) {
          expect(r.from).toMatch(/^bounces\+[0-9a-z]+-[0-9a-f]{8}-[0-9a-f]{20}@bounces\.example\.com$/);
          expect(r.from.split('@')[0]!.length).toBeLessThanOrEqual(64);
          const named = await readBounceAddress(Buffer.from(SECRET), r.from, (id) => getSubscriber(db, id));
          expect(named).not.toBe('forged');
          expect((await getSubscriber(db, (named as { id: number }).id))!.email).toBe(r.to);
          // The From header is still the newsletter's.
          expect(r.mail.from?.text).toContain('news@news.example.com');
        }
        // A changed signature is forged.
        const forged = froms[0]!.replace(/-([0-9a-f])([0-9a-f]{19})@/, (_m, a: string, rest: string) => `-${a === '0' ? '1' : '0'}${rest}@`);
        expect(await readBounceAddress(Buffer.from(SECRET), forged, (id) => getSubscriber(db, id))).toBe('forged');
      });
    });

    it('without return_path_domain, the envelope sender is the From address', async () => {
      const site = await sendSite(1);
      const smtp = await startSmtp();
      expect((await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config)).code).toBe(0);
      await smtp.close();
      expect(smtp.received[0]!.from).toBe('news@news.example.com');
    });
  });

  describe('bounces import: every kind of report', () => {
    const cases = REPORT_CASES;
    let site: SentSite;
    beforeAll(async () => {
      site = await sentSite(cases.length + 1);
    });

    it.each(cases.map((c, i) => [...c, i] as const))('%s', async (name, expected, i) => {
      const email = `sub${i}@example.org`;
      const run = await importFile(site, `r${i}.eml`, report(name, site.sent(email)));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(expected.report === false ? '0 reports, 1 other message' : '1 report, 0 other messages');
      const row = await statusOf(site.database, email);
      expect(row.status).toBe(expected.status);
      if (expected.how) expect(row.how).toBe(expected.how);
      const delivery = await bounceOf(site.database, email);
      expect(delivery.bounce).toBe(expected.bounce ?? null);
      expect(Boolean(delivery.complained_at)).toBe(Boolean(expected.complained));
      // Nobody else changed.
      expect((await statusOf(site.database, `sub${cases.length}@example.org`)).status).toBe('subscribed');
    });

    it('records the status code and diagnostic on the delivery', async () => {
      // Its own site and report: this test does not lean on the cases above having run.
      const own = await sentSite(1);
      expect((await importFile(own, 'hard.eml', report('postfix-hard.eml', own.sent('sub0@example.org')))).code).toBe(0);
      await withList(own.database, async (db) => {
        const row = (await firstRow<{ bounce_status: string; bounce_diagnostic: string; bounced_at: string }>(
          db,
          sql`SELECT bounce_status, bounce_diagnostic, bounced_at FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'sub0@example.org'`,
        ))!;
        expect(row.bounce_status).toBe('5.1.1');
        expect(row.bounce_diagnostic).toContain('User unknown');
        expect(Number.isNaN(Date.parse(row.bounced_at))).toBe(false);
      });
    });
  });

  describe('bounces import: matching', () => {
    it('matches by the signed VERP address first, then by a Message-ID Gazette made; the recipient named in a report alone changes nobody', async () => {
      const site = await sentSite(3);
      // VERP only: no Message-ID, and a recipient that is no subscriber (a forwarded address).
      const byVerp = { ...site.sent('sub0@example.org'), recipient: 'forwarded@elsewhere.example', messageId: '<unknown@nowhere.example>' };
      let run = await importFile(site, 'a.eml', report('postfix-hard.eml', byVerp));
      expect(run.stdout).toContain('sub0@example.org: bounced (hard bounce, matched by envelope)');
      // Message-ID only: delivered to a plain address.
      const byId = { ...site.sent('sub1@example.org'), verp: 'bounces@example.com', recipient: 'forwarded@elsewhere.example' };
      run = await importFile(site, 'b.eml', Buffer.from(report('postfix-hard.eml', byId).toString('latin1').replace('4Qx1Yz2AbcZ@', 'other-id@'), 'latin1'));
      expect(run.stdout).toContain('sub1@example.org: bounced (hard bounce, matched by message-id)');
      // The recipient only: anyone could have written it.
      const byRecipient = { verp: 'bounces@example.com', recipient: 'sub2@example.org', messageId: '<unknown@nowhere.example>' };
      run = await importFile(site, 'c.eml', report('gmail-dsn.eml', byRecipient));
      expect(run.stdout).toContain('ignored a hard bounce: it names no message Gazette sent');
      expect((await statusOf(site.database, 'sub2@example.org')).status).toBe('subscribed');
      expect((await bounceOf(site.database, 'sub2@example.org')).bounce).toBeNull();
    });

    it("reads the failed recipient of a plain notice from X-Failed-Recipients or qmail's <address>: lines", async () => {
      const site = await sentSite(2);
      for (const [name, email] of [
        ['exim-failed.eml', 'sub0@example.org'],
        ['qmail.eml', 'sub1@example.org'],
      ] as const) {
        const run = await importFile(site, name, report(name, { ...site.sent(email), messageId: '<unknown@nowhere.example>' }));
        expect(run.stdout).toContain(`${email}: bounced (hard bounce, matched by envelope)`);
      }
    });

    it('a forged VERP token changes nothing, even when the recipient and Message-ID would match', async () => {
      const site = await sentSite(2);
      const genuine = site.sent('sub0@example.org');
      const forged = { ...genuine, verp: genuine.verp.replace(/-[0-9a-f]{20}@/, '-0123456789abcdef0123@') };
      const run = await importFile(site, 'forged.eml', report('postfix-hard.eml', forged));
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('ignored a hard bounce: its return address has the shape of a Gazette (VERP) address but not its signature');
      expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
      expect((await bounceOf(site.database, 'sub0@example.org')).bounce).toBeNull();
      // A VERP address naming a subscriber that does not exist is forged too.
      const ghost = { ...genuine, verp: genuine.verp.replace(/^bounces\+[0-9a-z]+-/, 'bounces+zzzz-') };
      const ghostReport = Buffer.from(report('arf-complaint.eml', ghost).toString('latin1').replace('arf.6d1c9f3a', 'arf.other'), 'latin1');
      expect((await importFile(site, 'ghost.eml', ghostReport)).stdout).toContain('forged');
      expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
    });

    it('a report about an address that is not a subscriber changes nothing', async () => {
      const site = await sentSite(1);
      const run = await importFile(
        site,
        'x.eml',
        report('postfix-hard.eml', { verp: 'bounces@example.com', recipient: 'stranger@example.net', messageId: '<nope@x.example>' }),
      );
      expect(run.stdout).toContain('ignored a hard bounce: it names no message Gazette sent');
      expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
    });

    it('a report naming several subscribers, and no message Gazette sent, changes nobody', async () => {
      const site = await sentSite(3);
      const raw = report('postfix-hard.eml', { verp: 'bounces@example.com', recipient: 'sub0@example.org', messageId: '<nope@x.example>' })
        .toString('latin1')
        .replace(
          'Final-Recipient: rfc822; sub0@example.org',
          'Final-Recipient: rfc822; sub1@example.org\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822; sub2@example.org\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822; sub0@example.org',
        );
      const run = await importFile(site, 'many.eml', Buffer.from(raw, 'latin1'));
      expect(run.stdout).toContain('ignored a hard bounce: it names no message Gazette sent');
      for (const i of [0, 1, 2]) expect((await statusOf(site.database, `sub${i}@example.org`)).status).toBe('subscribed');
    });

    it('the same report processed twice changes nothing the second time', async () => {
      const site = await sentSite(1, 'soft_limit = 2');
      const soft = report('soft-full.eml', site.sent('sub0@example.org'));
      expect((await importFile(site, 'one.eml', soft)).stdout).toContain('soft bounce counted');
      const again = await importFile(site, 'two.eml', soft);
      expect(again.stdout).toContain('1 processed before');
      expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
    });
  });

  describe('soft bounces and complaints over time', () => {
    it('soft bounces on soft_limit issues in a row mark the subscriber bounced; a delivered issue between resets the run', async () => {
      const site = await sentSite(2, 'soft_limit = 3');
      const smtp = await startSmtp();
      const env = { GAZETTE_SMTP_URL: smtp.url };
      const soft = async (email: string, slug: string) => {
        const copy = [...site.smtp.received, ...smtp.received].reverse().find((r) => r.to === email && r.mail.subject === slug)!;
        const sent = { verp: copy.from, recipient: email, messageId: copy.mail.messageId! };
        const raw = report('soft-full.eml', sent).toString('latin1').replace('9F0E1D2C3B@', `${slug}-${email}@`);
        return importFile(site, `${slug}-${email}.eml`, Buffer.from(raw, 'latin1'));
      };
      for (const [n, slug] of [
        [2, 'issue-two'],
        [3, 'issue-three'],
      ] as const) {
        await writeFile(path.join(site.dir, 'content', `${slug}.md`), `+++\ntitle = "${slug}"\ndate = 2026-02-0${n}T08:00:00Z\n+++\n\nBody ${n}.\n`);
        expect((await gazetteWith(env, 'send', '--yes', '--issue', slug, '--config', site.config)).code).toBe(0);
      }
      await smtp.close();
      // sub0: soft on all three issues → bounced on the third. sub1: soft on one and three, two delivered → still subscribed.
      for (const slug of ['Issue one', 'issue-two']) await soft('sub0@example.org', slug);
      expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
      const third = await soft('sub0@example.org', 'issue-three');
      expect(third.stdout).toContain('sub0@example.org: bounced (soft bounce');
      expect(await statusOf(site.database, 'sub0@example.org')).toEqual({ status: 'bounced', how: 'bounce' });
      await soft('sub1@example.org', 'Issue one');
      await soft('sub1@example.org', 'issue-three');
      expect((await statusOf(site.database, 'sub1@example.org')).status).toBe('subscribed');
    });

    it('a complainer is never mailed again: not by the next send, an import, a form or add --force', async () => {
      const site = await sentSite(2);
      expect((await importFile(site, 'arf.eml', report('arf-complaint.eml', site.sent('sub0@example.org')))).stdout).toContain('unsubscribed (complaint)');
      const csv = path.join(site.dir, 'list.csv');
      await writeFile(csv, 'email,status\nsub0@example.org,subscribed\n');
      expect((await gazetteWith({}, 'subscribers', 'import', csv, '--config', site.config)).code).toBe(0);
      expect(await statusOf(site.database, 'sub0@example.org')).toEqual({ status: 'unsubscribed', how: 'complaint' });
      const add = await gazetteWith({}, 'subscribers', 'add', 'sub0@example.org', '--force', '--config', site.config);
      expect(add.code).toBe(1);
      expect(add.stderr).toContain('never mails a complainer again');
      await withList(site.database, async (db) => {
        const { confirmationCaps, requestSubscription } = await import('../../../src/store/subscriptions.js');
        expect(await requestSubscription(db, 'sub0@example.org', undefined, confirmationCaps(1000))).toEqual({ quiet: 'complained' });
      });
      await writeFile(path.join(site.dir, 'content', 'issue-two.md'), '+++\ntitle = "Two"\ndate = 2026-02-02T08:00:00Z\n+++\n\nBody.\n');
      const smtp = await startSmtp();
      expect((await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--issue', 'issue-two', '--config', site.config)).code).toBe(0);
      await smtp.close();
      expect(smtp.received.map((r) => r.to)).toEqual(['sub1@example.org']);
    });
  });

  describe('bounces import: mbox, standard input, errors', () => {
    it('reads an mbox of reports mixed with other mail; only the reports act', async () => {
      const site = await sentSite(3);
      const mbox = [
        ['postfix-hard.eml', 'sub0@example.org'],
        ['ordinary-reply.eml', 'sub1@example.org'],
        ['arf-complaint.eml', 'sub1@example.org'],
        ['out-of-office.eml', 'sub2@example.org'],
      ]
        .map(([name, email]) => {
          const text = report(name!, site.sent(email!))
            .toString('latin1')
            .replace(/\r\n/g, '\n')
            .replace(/^From /gm, '>From ');
          return `From MAILER-DAEMON Tue Nov 24 08:01:02 2026\n${text}\n`;
        })
        .join('\n');
      const run = await importFile(site, 'reports.mbox', Buffer.from(mbox, 'latin1'));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('Read 4 messages: 3 reports, 1 other message ignored.');
      expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('bounced');
      expect(await statusOf(site.database, 'sub1@example.org')).toEqual({ status: 'unsubscribed', how: 'complaint' });
      expect((await statusOf(site.database, 'sub2@example.org')).status).toBe('subscribed');
    });

    it('reads one report piped in on standard input (as an MTA pipes it), naming the envelope recipient', async () => {
      const site = await sentSite(2);
      const sent = site.sent('sub1@example.org');
      // The report itself names neither the VERP address nor the message: only the MTA's envelope does.
      const raw = report('qmail.eml', { ...sent, messageId: '<unknown@nowhere.example>', recipient: 'forwarded@elsewhere.example' })
        .toString('latin1')
        .replaceAll(sent.verp, 'bounces@example.com');
      const child = spawnSync(
        process.execPath,
        [path.join(ROOT, 'bin', 'gazette.js'), 'bounces', 'import', '--recipient', sent.verp, '-', '--config', site.config],
        {
          input: Buffer.from(raw, 'latin1'),
          env: { ...process.env, GAZETTE_SECRET: SECRET },
          encoding: 'utf8',
        },
      );
      expect(child.status, child.stderr).toBe(0);
      expect(child.stdout).toContain('sub1@example.org: bounced (hard bounce, matched by envelope)');
      expect((await statusOf(site.database, 'sub1@example.org')).status).toBe('bounced');
      expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
    });

    it('reads standard input through the core too (an empty input is no message)', async () => {
      const site = await sentSite(1);
      const { config } = await loadConfig(site.config);
      const one = report('exchange-ndr.eml', site.sent('sub0@example.org'));
      const chunks = (async function* () {
        for (let i = 0; i < one.length; i += 97) yield one.subarray(i, i + 97);
      })();
      const tally = await importReports({ ...config, tokenSecret: SECRET }, { files: ['-'], stdin: chunks });
      expect(tally).toMatchObject({ messages: 1, reports: 1, others: 0, outcomes: { bounced: 1 } });
      const empty = await importReports({ ...config, tokenSecret: SECRET }, { files: ['-'], stdin: (async function* () {})() });
      expect(empty.messages).toBe(0);
    });

    it('a missing file or a folder is one clear error, and nothing is applied', async () => {
      const site = await sentSite(1);
      const good = path.join(site.dir, 'good.eml');
      await writeFile(good, report('postfix-hard.eml', site.sent('sub0@example.org')));
      const missing = await gazetteWith({}, 'bounces', 'import', good, path.join(site.dir, 'nope.eml'), '--config', site.config);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^error: .*nope\.eml.*ENOENT/);
      const folder = await gazetteWith({}, 'bounces', 'import', site.dir, '--config', site.config);
      expect(folder.code).toBe(1);
      expect(folder.stderr).toContain('is a folder');
      expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
    });
  });

  describe('status: list health per issue', () => {
    let smtp: TestSmtp;
    afterAll(async () => smtp?.close());

    it('shows delivered, hard and soft bounces, complaints and their rates, with warnings past the limits', async () => {
      const site = await sendSite(10, { extraConfig: `[bounces]\nreturn_path_domain = "${DOMAIN}"\n` });
      // sub9 is refused at RCPT (a hard bounce at sending).
      smtp = await startSmtp({ rcpt: (to) => (to === 'sub9@example.org' ? { code: 550, message: '5.1.1 <sub9@example.org>: user unknown' } : undefined) });
      expect((await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config)).code).toBe(0);
      const sent = (email: string) => {
        const copy = smtp.received.find((r) => r.to === email)!;
        return { verp: copy.from, recipient: email, messageId: copy.mail.messageId! };
      };
      const site2 = { dir: site.dir, config: site.config };
      await importFile(site2, 'a.eml', report('postfix-hard.eml', sent('sub0@example.org')));
      await importFile(site2, 'b.eml', report('soft-full.eml', sent('sub1@example.org')));
      await importFile(site2, 'c.eml', report('arf-complaint.eml', sent('sub2@example.org')));
      const status = await gazetteWith({}, 'status', '--config', site.config);
      expect(status.code).toBe(0);
      const [header, row] = status.stdout.split('\n');
      expect(header).toBe('issue\tsent\tdelivered\thard\tsoft\tcomplaints\thard rate\tcomplaint rate\tdeferred\tfailed\tin flight\towed\ttitle');
      // 9 accepted, 2 of them bounced after: 7 delivered; 2 hard of 10 tried; 1 complaint of 7 delivered.
      expect(row).toBe('issue-one\t9\t7\t2\t1\t1\t20.00%\t14.29%\t0\t1\t0\t0\tIssue one');
      expect(status.stdout).toContain('List: 7 subscribed, 0 pending, 2 bounced, 1 unsubscribed (1 by complaint).');
      expect(status.stderr).toContain('complaint rate 14.29% is over 0.10%');
      expect(status.stderr).toContain('hard-bounce rate 20.00% is over 2.00%');
    });
  });
});
