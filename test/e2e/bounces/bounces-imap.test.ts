import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DOVECOT, startDovecot, type TestImap } from '../../helpers/imap.js';
import { REPORT_CASES, report, type SentSite, sentSite, statusOf } from '../../helpers/reports.js';
import { gazetteWith } from '../../helpers/send.js';
import { describeWith } from '../../helpers/system.js';

describeWith(DOVECOT, 'apt-get install dovecot-imapd', 'bounces fetch from a real IMAP mailbox (Dovecot)', () => {
  let imap: TestImap;
  let site: SentSite;
  beforeAll(async () => {
    imap = await startDovecot();
    site = await sentSite(4);
  }, 30_000);
  afterAll(async () => imap?.close());

  const fetchNow = () => gazetteWith({ GAZETTE_BOUNCES_IMAP_URL: imap.url }, 'bounces', 'fetch', '--config', site.config);

  /** Move whatever earlier tests left in the inbox aside: each test starts from an empty one. */
  const emptyInbox = async (client: Awaited<ReturnType<TestImap['client']>>) => {
    await client.mailboxOpen('INBOX');
    if (client.mailbox !== false && client.mailbox.exists > 0) {
      await client.mailboxCreate('Aside').catch(() => undefined);
      await client.messageMove('1:*', 'Aside');
    }
  };

  it('applies the reports among ordinary mail, moves only them, and leaves the rest unread where it was', async () => {
    const client = await imap.client();
    const mail: Array<[string, string]> = [
      ['postfix-hard.eml', 'sub0@example.org'],
      ['ordinary-reply.eml', 'sub1@example.org'],
      ['arf-complaint.eml', 'sub1@example.org'],
      ['coremail-gbk.eml', 'sub2@example.org'],
      ['human-undeliverable.eml', 'sub3@example.org'],
      ['out-of-office.eml', 'sub3@example.org'],
    ];
    for (const [name, email] of mail) await client.append('INBOX', report(name, site.sent(email)));
    // One ordinary message already read by a person: fetch looks only at unseen mail.
    await client.append('INBOX', report('soft-full.eml', site.sent('sub3@example.org')), ['\\Seen']);

    const run = await fetchNow();
    expect(run.code, `${run.stderr} ${JSON.stringify(run.stderr)}`).toBe(0);
    expect(run.stdout).toContain('Read 6 messages: 4 reports, 2 other messages left unread in imap://127.0.0.1:');
    expect(run.stdout).toContain('Moved 4 reports to Gazette/Processed.');
    expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('bounced');
    expect(await statusOf(site.database, 'sub1@example.org')).toEqual({ status: 'unsubscribed', how: 'complaint' });
    expect((await statusOf(site.database, 'sub2@example.org')).status).toBe('bounced');
    expect((await statusOf(site.database, 'sub3@example.org')).status).toBe('subscribed');

    await client.mailboxOpen('INBOX');
    const left = [];
    for await (const m of client.fetch('1:*', { envelope: true, flags: true })) left.push({ subject: m.envelope?.subject, seen: m.flags?.has('\\Seen') });
    expect(left).toEqual([
      { subject: 'Re: Issue 1', seen: false },
      { subject: 'Undeliverable mail from your newsletter?', seen: false },
      { subject: 'Undelivered Mail Returned to Sender', seen: true },
    ]);
    const processed = await client.status('Gazette.Processed', { messages: true }); // Maildir's separator is a dot
    expect(processed === false ? 0 : processed.messages).toBe(4);
    await client.logout();

    // A second run finds nothing new and changes nothing.
    const again = await fetchNow();
    expect(again.stdout).toContain('Read 2 messages: 0 reports, 2 other messages');
  });

  it('every kind of report, fetched from the mailbox, leaves its subscriber as the import does', async () => {
    const own = await sentSite(REPORT_CASES.length);
    const client = await imap.client();
    // Start from an empty inbox: move what the other tests left aside.
    await emptyInbox(client);
    for (const [i, [name]] of REPORT_CASES.entries()) await client.append('INBOX', report(name, own.sent(`sub${i}@example.org`)));
    await client.logout();
    const run = await gazetteWith({ GAZETTE_BOUNCES_IMAP_URL: imap.url }, 'bounces', 'fetch', '--config', own.config);
    const others = REPORT_CASES.filter(([, e]) => e.report === false).length;
    expect(run.stdout).toContain(`Read ${REPORT_CASES.length} messages: ${REPORT_CASES.length - others} reports, ${others} other messages`);
    for (const [i, [name, expected]] of REPORT_CASES.entries()) {
      const row = await statusOf(own.database, `sub${i}@example.org`);
      expect(row.status, name).toBe(expected.status);
      if (expected.how) expect(row.how, name).toBe(expected.how);
    }
  });

  it('a report already processed (say, also piped in) is moved and changes nothing', async () => {
    const client = await imap.client();
    await emptyInbox(client);
    const soft = report('soft-full.eml', site.sent('sub3@example.org'));
    const file = path.join(site.dir, 'soft.eml');
    await writeFile(file, soft);
    expect((await gazetteWith({}, 'bounces', 'import', file, '--config', site.config)).code).toBe(0);
    await client.append('INBOX', soft);
    await client.append('INBOX', soft);
    await client.logout();
    const run = await fetchNow();
    expect(run.stdout).toContain('Reports: 2 processed before.');
    expect(run.stdout).toContain('Moved 2 reports to Gazette/Processed.');
    expect((await statusOf(site.database, 'sub3@example.org')).status).toBe('subscribed');
    // Neither copy is left in the inbox: only mail that is not a report stays there.
    const check = await imap.client();
    const inbox = await check.status('INBOX', { messages: true, unseen: true });
    expect(inbox === false ? undefined : [inbox.messages, inbox.unseen]).toEqual([0, 0]);
    await check.logout();
  });

  it('a message over the size cap is left in the mailbox unread, never downloaded', async () => {
    const client = await imap.client();
    await emptyInbox(client);
    const sent = site.sent('sub3@example.org');
    const big = Buffer.concat([report('postfix-hard.eml', sent), Buffer.from(`\r\n${'x'.repeat(76)}\r\n`.repeat(340_000))]);
    expect(big.length).toBeGreaterThan(25 * 1024 * 1024);
    await client.append('INBOX', big);
    await client.logout();
    const run = await fetchNow();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Read 1 message: 0 reports, 1 other message left unread');
    expect((await statusOf(site.database, 'sub3@example.org')).status).toBe('subscribed');
    const check = await imap.client();
    const inbox = await check.status('INBOX', { messages: true, unseen: true });
    expect(inbox === false ? undefined : [inbox.messages, inbox.unseen]).toEqual([1, 1]);
    await check.logout();
  });

  it('a wrong password, a closed port and a missing folder are one-line errors naming the server', async () => {
    const wrong = await gazetteWith(
      { GAZETTE_BOUNCES_IMAP_URL: imap.url.replace(imap.password, 'wrong-password') },
      'bounces',
      'fetch',
      '--config',
      site.config,
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: imap:\/\/127\.0\.0\.1:\d+ refused the login for bounces/);
    expect(wrong.stderr).not.toContain('wrong-password');
    const closed = await gazetteWith({ GAZETTE_BOUNCES_IMAP_URL: 'imap://bounces:pw@127.0.0.1:1/INBOX' }, 'bounces', 'fetch', '--config', site.config);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/^error: cannot reach imap:\/\/127\.0\.0\.1:1/);
    const folder = await gazetteWith({ GAZETTE_BOUNCES_IMAP_URL: imap.url.replace('/INBOX', '/Nowhere') }, 'bounces', 'fetch', '--config', site.config);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toContain('has no folder "Nowhere"');
    const none = await gazetteWith({}, 'bounces', 'fetch', '--config', site.config);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('set [bounces] imap_url');
  });

  it('starts its own Dovecot when TMPDIR is a folder inside a private (0700) one: every parent is checked', async () => {
    const { mkdir, mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const { traversableByOthers } = await import('../../helpers/imap.js');
    const outer = await mkdtemp(path.join(os.tmpdir(), 'gazette-private-'));
    const inner = path.join(outer, 'tmp');
    await mkdir(inner, { mode: 0o777 });
    const { chmod } = await import('node:fs/promises');
    await chmod(inner, 0o777);
    await chmod(outer, 0o700);
    expect(traversableByOthers(inner)).toBe(false);
    expect(traversableByOthers('/')).toBe(true);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = inner;
    let other: TestImap | undefined;
    try {
      other = await startDovecot();
      const client = await other.client();
      await client.logout();
    } finally {
      await other?.close();
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await rm(outer, { recursive: true, force: true });
    }
  }, 30_000);
});
