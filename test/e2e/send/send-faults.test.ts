import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseLocation } from '../../../src/config/index.js';
import { countByStatus, findSubscriber } from '../../../src/store/index.js';
import { onEachBackend } from '../../helpers/backends.js';
import { deliveries, gazetteWith, listOf, openDb, sendSite as sendSiteOn, withList } from '../../helpers/send.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

const send = (url: string, config: string, ...more: string[]) => gazetteWith({ GAZETTE_SMTP_URL: url }, 'send', '--yes', '--config', config, ...more);

const statusCounts = (database: DatabaseLocation) => withList(database, countByStatus);

onEachBackend('send faults', (backend) => {
  const sendSite = (count: number, options: Parameters<typeof sendSiteOn>[1] = {}) => sendSiteOn(count, { ...options, backend });
  describe('a server that refuses the sender or the session bounces nobody', () => {
    const refusals: Array<[string, { code: number; message: string }]> = [
      ['relay denied with an enhanced code', { code: 554, message: '5.7.1 <x@example.org>: Relay access denied' }],
      ['relay denied in words only', { code: 554, message: 'Relay access denied' }],
      ['authentication required', { code: 530, message: '5.7.0 Authentication required' }],
      ['a rate block', { code: 550, message: '5.4.5 Daily sending quota exceeded' }],
      ['a policy block without codes', { code: 550, message: 'Message rejected due to local policy' }],
      ['"user unknown" for everyone', { code: 550, message: '5.1.1 Recipient address rejected: User unknown' }],
    ];
    for (const [name, reply] of refusals) {
      it(name, async () => {
        smtp = await startSmtp({ rcpt: () => reply });
        const site = await sendSite(30, { connections: 3 });
        const run = await send(smtp.url, site.config);
        expect(run.code, run.stderr).toBe(1);
        // Nothing delivered: one line naming the server, no progress line, no summary.
        expect(run.stderr).toMatch(/^error: smtp:\/\/127\.0\.0\.1:\d+ refused[^\n]*$/);
        expect(run.stdout).toBe('');
        expect(await statusCounts(site.database)).toMatchObject({ subscribed: 30, bounced: 0 });
        expect((await deliveries(site.database)).filter((d) => d.state === 'failed')).toEqual([]);
      });
    }

    it('still bounces a few dead addresses among deliveries', async () => {
      smtp = await startSmtp({
        rcpt: (to) => (['sub3@example.org', 'sub7@example.org'].includes(to) ? { code: 550, message: '5.1.1 User unknown' } : undefined),
      });
      const site = await sendSite(10);
      const run = await send(smtp.url, site.config);
      expect(run.code, run.stderr).toBe(0);
      expect(await statusCounts(site.database)).toMatchObject({ subscribed: 8, bounced: 2 });
      expect(smtp.received).toHaveLength(8);
    });

    it('an author can undo a mistaken mass bounce, and the next send retries them', async () => {
      smtp = await startSmtp({ rcpt: (to) => (to === 'sub0@example.org' ? undefined : { code: 550, message: 'mailbox unavailable' }) });
      const site = await sendSite(4, { connections: 1 });
      const since = new Date(Date.now() - 1000).toISOString();
      await send(smtp.url, site.config);
      expect((await statusCounts(site.database)).bounced).toBe(3);
      await smtp.close();
      smtp = await startSmtp();
      const restore = await gazetteWith({}, 'subscribers', 'restore', '--bounced-since', since, '--config', site.config);
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stdout).toMatch(/^Restored 3 subscribers bounced since/);
      expect(await statusCounts(site.database)).toMatchObject({ subscribed: 4, bounced: 0 });
      const again = await send(smtp.url, site.config);
      expect(again.code).toBe(0);
      expect(smtp.received.map((r) => r.to).sort()).toEqual(['sub1@example.org', 'sub2@example.org', 'sub3@example.org']);
    });
  });

  /** A server that answers every connection with `greeting` and hangs up; counts connections. */
  async function refusingServer(greeting: string) {
    let connections = 0;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.end(`${greeting}\r\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
      connections: () => connections,
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    };
  }

  describe('a server that cannot be reached or refuses the session', () => {
    it('421 at greeting: stops at once, a few connections, one line naming the server', async () => {
      const server = await refusingServer('421 4.3.2 Service not available, closing channel');
      try {
        const site = await sendSite(200, { connections: 3 });
        const started = Date.now();
        const run = await send(server.url, site.config);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(
          /^error: cannot send through smtp:\/\/127\.0\.0\.1:\d+: [^\n]*421 4\.3\.2 Service not available[^\n]*; check smtp\.host and smtp\.port[^\n]*$/,
        );
        expect(run.stdout).toBe('');
        expect(server.connections()).toBeLessThanOrEqual(6);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect((await statusCounts(site.database)).subscribed).toBe(200);
      } finally {
        await server.close();
      }
    });

    it('nothing listening: stops at once with the reason, exit 1', async () => {
      const server = await refusingServer('220 ready');
      const url = server.url;
      await server.close();
      const site = await sendSite(50);
      const started = Date.now();
      const run = await send(url, site.config);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^error: cannot send through smtp:\/\/127\.0\.0\.1:\d+: connection refused: nothing listens on that port \([^\n]*ECONNREFUSED[^\n]*\); check smtp\.host and smtp\.port in gazette\.toml, or GAZETTE_SMTP_URL[^\n]*$/,
      );
      expect(run.stdout).toBe('');
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });
});

const sendSite = sendSiteOn;

describe('a busy database', () => {
  it('a send waits out another writer and records every accepted message', async () => {
    smtp = await startSmtp({ delay: 20 });
    const site = await sendSite(20, { connections: 2 });
    // Another writer (as an import would) holds the database while the send runs.
    const other = openDb(site.dbFile);
    let released = false;
    const hold = setInterval(() => {
      if (released || smtp!.received.length < 3) return;
      other.exec('BEGIN IMMEDIATE');
      other.prepare("UPDATE subscribers SET name = 'busy' WHERE id = 1").run();
      setTimeout(() => {
        other.exec('COMMIT');
        released = true;
      }, 5500);
      clearInterval(hold);
    }, 5);
    const run = await send(smtp.url, site.config);
    clearInterval(hold);
    other.close();
    expect(run.code, run.stderr).toBe(0);
    expect(released).toBe(true);
    const rows = await deliveries(site.database);
    expect(rows.filter((r) => r.state === 'sent')).toHaveLength(20);
    expect(smtp.received).toHaveLength(20);
    const db = openDb(site.dbFile);
    expect((await findSubscriber(listOf(db), 'sub0@example.org'))!.name).toBe('busy');
    db.close();
  }, 40_000);
});

describe('secrets and markers', () => {
  it('refuses an empty, blank or damaged secret file rather than signing with an empty key', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    for (const text of ['', '   \n', 'not hex at all, but long enough to pass for something', 'abcd']) {
      const site = await sendSite(1);
      await mkdir(path.dirname(site.dbFile), { recursive: true });
      await writeFile(path.join(path.dirname(site.dbFile), 'gazette.secret'), text);
      const run = await gazetteWith({ GAZETTE_SECRET: '' }, 'send', '--dry-run', '--config', site.config);
      expect(run.code, JSON.stringify(text)).toBe(1);
      expect(run.stderr).toMatch(/gazette\.secret: the unsubscribe secret is empty or damaged/);
    }
    for (const weak of ['short', 'aaaaaaaaaaaaaaaaaaaaaaaa', '                        ']) {
      const site = await sendSite(1);
      const run = await gazetteWith({ GAZETTE_SECRET: weak }, 'send', '--dry-run', '--config', site.config);
      expect(run.code, weak).toBe(1);
      expect(run.stderr).toContain('GAZETTE_SECRET is too weak');
    }
  });

  it('a secret that cannot be read is an error naming it; a new secret leaves no temporary file behind', async () => {
    const { mkdir, readdir } = await import('node:fs/promises');
    const path = await import('node:path');
    const site = await sendSite(1);
    // A folder where the secret should be: unreadable as a file, and never replaced.
    await mkdir(path.join(path.dirname(site.dbFile), 'gazette.secret'), { recursive: true });
    const run = await gazetteWith({ GAZETTE_SECRET: '' }, 'send', '--dry-run', '--config', site.config);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/gazette\.secret: cannot read the secret: EISDIR/);
    const fresh = await sendSite(1);
    expect((await gazetteWith({ GAZETTE_SECRET: '' }, 'send', '--dry-run', '--config', fresh.config)).code).toBe(0);
    expect((await readdir(path.dirname(fresh.dbFile))).filter((f) => f.includes('secret'))).toEqual(['gazette.secret']);
  });

  it('text in an issue that looks like a per-subscriber marker is never filled in', async () => {
    smtp = await startSmtp();
    const markers = ['GAZETTE_SUBSCRIBER_EMAIL_', 'GAZETTE_SUBSCRIBER_UNSUBSCRIBE_URL_', 'GAZETTE_0000000000000000_EMAIL_'];
    const site = await sendSite(2, { title: 'Track GAZETTE_SUBSCRIBER_NAME_' });
    const { writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    await writeFile(
      path.join(site.dir, 'content', 'issue-one.md'),
      `+++\ntitle = "Tracked"\ndate = 2026-02-01T08:00:00+08:00\n+++\n\n[pixel](https://tracker.example/p?${markers.map((m, i) => `m${i}=${m}`).join('&')})\n\n${markers.join(' ')}\n`,
    );
    const run = await send(smtp.url, site.config);
    expect(run.code, run.stderr).toBe(0);
    for (const message of smtp.received) {
      const text = message.mail.text ?? '';
      const html = String(message.mail.html);
      for (const m of markers) {
        expect(text).toContain(m);
        expect(html).toContain(m);
      }
      expect(html).not.toMatch(/tracker\.example[^"]*sub\d@example\.org/);
      expect(html).not.toMatch(/tracker\.example[^"]*token/);
    }
  });
});

describe('SMTP AUTH without TLS', () => {
  it('requires TLS before logging in to any server but loopback, unless allowed', async () => {
    const { smtpTransportOptions } = await import('../../../src/mail/carrier.js');
    const { loadConfig } = await import('../../../src/config/index.js');
    const site = await sendSite(0);
    const { config } = await loadConfig(site.config);
    const base = { port: 587, secure: false, tlsVerify: true, allowPlainAuth: false, user: 'u', password: 'p' };
    expect(smtpTransportOptions(config, { ...base, host: 'smtp.example.com' }).requireTLS).toBe(true);
    expect(smtpTransportOptions(config, { ...base, host: 'smtp.example.com', allowPlainAuth: true }).requireTLS).toBe(false);
    expect(smtpTransportOptions(config, { ...base, host: 'smtp.example.com', secure: true, port: 465 }).requireTLS).toBe(false);
    expect(smtpTransportOptions(config, { ...base, host: '127.0.0.1' }).requireTLS).toBe(false);
    const { user: _u, ...anonymous } = base;
    expect(smtpTransportOptions(config, { ...anonymous, host: 'smtp.example.com' }).requireTLS).toBe(false);
  });

  it('a server that offers AUTH but no STARTTLS gets no password: the send stops, saying why', async () => {
    smtp = await startSmtp({ auth: { user: 'user', pass: 'secret-pass' } });
    const site = await sendSite(3);
    // The IPv4-mapped IPv6 form of loopback is not recognised as loopback: the rule for any other host applies.
    const run = await send(`smtp://user:secret-pass@[::ffff:127.0.0.1]:${smtp.port}`, site.config);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/offers no TLS, and Gazette sends no password in clear/);
    expect(run.stderr).not.toContain('secret-pass');
    expect(smtp.received).toHaveLength(0);
  });
});

describe("an issue's identity for sending", () => {
  it('fixing the date or moving the site to another host mails nobody again', async () => {
    const { readFile, writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    smtp = await startSmtp();
    const site = await sendSite(3);
    expect((await send(smtp.url, site.config)).code).toBe(0);
    const file = path.join(site.dir, 'content', 'issue-one.md');
    await writeFile(file, (await readFile(file, 'utf8')).replace('2026-02-01T08:00:00', '2026-01-31T23:30:00'));
    await writeFile(site.config, (await readFile(site.config, 'utf8')).replace('https://news.example.com/"', 'https://digest.example.org/"'));
    const again = await send(smtp.url, site.config);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Nobody is owed');
    expect(smtp.received).toHaveLength(3);
  });

  it('a database from before keeps its record: deliveries under the old feed ids count for the slug', async () => {
    const { mkdir } = await import('node:fs/promises');
    const path = await import('node:path');
    const Database = (await import('better-sqlite3')).default;
    smtp = await startSmtp();
    const site = await sendSite(0);
    await mkdir(path.dirname(site.dbFile), { recursive: true });
    // Schema version 1, as Gazette 0.1 left it: deliveries keyed by the feed id, sent twice under two dates.
    const old = new Database(`${site.dbFile}.v1`);
    const { rmSync, renameSync } = await import('node:fs');
    rmSync(site.dbFile, { force: true });
    old.exec(`
      CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL, subscribed_at TEXT, unsubscribed_at TEXT);
      CREATE INDEX subscribers_status ON subscribers (status, id);
      CREATE TABLE deliveries (issue TEXT NOT NULL, subscriber_id INTEGER NOT NULL REFERENCES subscribers (id), state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        last_response TEXT, message_id TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, sent_at TEXT, PRIMARY KEY (issue, subscriber_id)) WITHOUT ROWID;
      CREATE INDEX deliveries_state ON deliveries (issue, state, subscriber_id);
      CREATE TABLE issues (id TEXT PRIMARY KEY, slug TEXT NOT NULL, title TEXT NOT NULL, first_sent_at TEXT NOT NULL);
      INSERT INTO subscribers VALUES (1, 'a@example.org', 'a@example.org', '', 'subscribed', '', 't', 't', 't', NULL);
      INSERT INTO subscribers VALUES (2, 'b@example.org', 'b@example.org', '', 'subscribed', '', 't', 't', 't', NULL);
      INSERT INTO issues VALUES ('tag:news.example.com,2026-02-01:issue-one', 'issue-one', 'Issue one', '2026-02-01T00:00:00Z');
      INSERT INTO issues VALUES ('tag:news.example.com,2026-01-31:issue-one', 'issue-one', 'Issue one', '2026-02-02T00:00:00Z');
      INSERT INTO deliveries VALUES ('tag:news.example.com,2026-02-01:issue-one', 1, 'sent', 1, '250', '<x>', 't', 't', 't');
      INSERT INTO deliveries VALUES ('tag:news.example.com,2026-01-31:issue-one', 1, 'deferred', 1, '451', '<x>', 't', 't', NULL);
      INSERT INTO deliveries VALUES ('tag:news.example.com,2026-01-31:issue-one', 2, 'sent', 1, '250', '<y>', 't', 't', 't');
      PRAGMA user_version = 1;
    `);
    old.close();
    renameSync(`${site.dbFile}.v1`, site.dbFile);
    const run = await send(smtp.url, site.config);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Nobody is owed');
    expect(smtp.received).toHaveLength(0);
  });

  it('an issue that looks like one already sent under another slug is not sent without asking', async () => {
    const { readFile, writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    smtp = await startSmtp();
    const site = await sendSite(2);
    expect((await send(smtp.url, site.config)).code).toBe(0);
    const file = path.join(site.dir, 'content', 'issue-one.md');
    await writeFile(file, (await readFile(file, 'utf8')).replace('+++\n\n', 'slug = "issue-1"\n+++\n\n'));
    const refused = await send(smtp.url, site.config);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/“Issue one” \(issue-1\) looks like “Issue one” \(issue-one\), sent on .*Add --new-issue/);
    expect(smtp.received).toHaveLength(2);
    const forced = await send(smtp.url, site.config, '--new-issue');
    expect(forced.code).toBe(0);
    expect(smtp.received).toHaveLength(4);
  });
});
