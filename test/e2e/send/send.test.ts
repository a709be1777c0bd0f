import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSubscriber, getSubscriber, openStore } from '../../../src/store/index.js';
import { setStatus } from '../../../src/store/subscribers.js';
import { verifyToken } from '../../../src/tokens/index.js';
import { onEachBackend } from '../../helpers/backends.js';
import { deliveries, gazetteAt, gazetteWith, holdLock, SECRET, sendSite as sendSiteOn } from '../../helpers/send.js';
import { snapshot } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

onEachBackend('send', (backend) => {
  const sendSite = (count: number, options: Parameters<typeof sendSiteOn>[1] = {}) => sendSiteOn(count, { ...options, backend });
  describe('gazette send over SMTP', () => {
    it('mails each subscriber one copy with one-click unsubscribe, and a second run mails nobody', async () => {
      smtp = await startSmtp();
      const site = await sendSite(6);
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(run.stderr).not.toContain('error');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Sent “Issue one” via smtp://127.0.0.1');
      expect(run.stdout).toContain('6 delivered, 0 failed, 0 skipped, 0 still owed');
      expect(smtp.received).toHaveLength(6);
      for (let i = 0; i < 6; i++) expect(smtp.copies(`sub${i}@example.org`)).toBe(1);

      const { mail, raw } = smtp.received.find((r) => r.to === 'sub3@example.org')!;
      expect(mail.from?.value[0]).toMatchObject({ name: 'Test Digest', address: 'news@news.example.com' });
      expect(mail.to && 'value' in mail.to ? mail.to.value[0] : undefined).toMatchObject({ name: 'Sub 3', address: 'sub3@example.org' });
      expect(mail.subject).toBe('Issue one');
      expect(mail.date).toBeInstanceOf(Date);
      expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@news\.example\.com>$/);
      expect(raw).toMatch(/^List-ID: "Test Digest" <news\.example\.com>\r?$/m);
      expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
      const unsubscribe = /^List-Unsubscribe:\s*<([^>]+)>/m.exec(raw)![1]!;
      expect(unsubscribe).toMatch(/^https:\/\/news\.example\.com\/newsletter\/unsubscribe\?token=\d+\.[A-Za-z0-9_-]{32}$/);
      // The token names this subscriber and no other.
      const list = await openStore(site.database);
      const db = list.db;
      const token = new URL(unsubscribe).searchParams.get('token')!;
      const id = await verifyToken(Buffer.from(SECRET), token, (n) => getSubscriber(db, n));
      expect((await getSubscriber(db, id!))!.email).toBe('sub3@example.org');
      expect(await verifyToken(Buffer.from(SECRET), token.replace(/^\d+/, '1'), (n) => getSubscriber(db, n))).toBeUndefined();
      await list.close();
      // The same link in the body, and both parts.
      expect(mail.html).toContain(`href="${unsubscribe.replace(/&/g, '&amp;')}"`);
      expect(mail.text).toContain(`退订: ${unsubscribe}`);
      expect(raw).toMatch(/Content-Type: multipart\/alternative/);

      const again = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Nobody is owed');
      expect(smtp.received).toHaveLength(6);

      const status = await gazetteWith({}, 'status', '--config', site.config);
      expect(status.stdout).toContain('issue-one\t6\t6\t0\t0\t0\t0.00%\t0.00%\t0\t0\t0\t0\tIssue one');
      expect((await gazetteWith({}, 'status', '--issue', 'issue-one', '--config', site.config)).stdout).toContain('issue-one\t6\t6');
      const unknown = await gazetteWith({}, 'status', '--issue', 'other', '--config', site.config);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe('error: no issue with the slug "other" has been sent (gazette status lists those that have)');
    });

    it('defers a 451 and delivers it once, later; records a 550 at RCPT as a bounce, never retried', async () => {
      smtp = await startSmtp({
        rcpt: (to, attempt) =>
          to === 'sub1@example.org' && attempt === 1
            ? { code: 451, message: 'Greylisted, try again later' }
            : to === 'sub2@example.org'
              ? { code: 550, message: 'No such user' }
              : undefined,
      });
      const site = await sendSite(4);
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(run.code).toBe(0);
      expect(smtp.copies('sub1@example.org')).toBe(1);
      expect(smtp.copies('sub2@example.org')).toBe(0);
      expect(smtp.attempts.get('sub2@example.org')).toBe(1);
      const rows = await deliveries(site.database);
      expect(rows.find((r) => r.email === 'sub1@example.org')).toMatchObject({ state: 'sent', attempts: 2 });
      expect(rows.find((r) => r.email === 'sub2@example.org')).toMatchObject({ state: 'failed', attempts: 1 });
      expect(rows.find((r) => r.email === 'sub2@example.org')!.last_response).toContain('550');
      const list = await openStore(site.database);
      const db = list.db;
      expect((await findSubscriber(db, 'sub2@example.org'))!.status).toBe('bounced');
      await list.close();
      expect(run.stdout).toContain('3 delivered, 1 failed (1 bounced)');
      // A later run does not try the bounced address again.
      await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(smtp.attempts.get('sub2@example.org')).toBe(1);
    });

    it('stops the run when the server refuses the sender, failing nobody', async () => {
      smtp = await startSmtp({ mailFrom: () => ({ code: 550, message: 'Sender address rejected' }) });
      const site = await sendSite(4);
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: smtp:\/\/127\.0\.0\.1:\d+ refused the sender: 550[^\n]*$/);
      const rows = await deliveries(site.database);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.state === 'deferred')).toBe(true);
      const list = await openStore(site.database);
      const db = list.db;
      expect((await findSubscriber(db, 'sub0@example.org'))!.status).toBe('subscribed');
      await list.close();
    });

    it('retries a connection dropped after DATA', async () => {
      smtp = await startSmtp({ data: (to, attempt) => (to === 'sub0@example.org' && attempt === 1 ? 'drop' : undefined) });
      const site = await sendSite(3);
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(run.code).toBe(0);
      expect(smtp.copies('sub0@example.org')).toBe(1);
      expect((await deliveries(site.database)).find((r) => r.email === 'sub0@example.org')).toMatchObject({ state: 'sent', attempts: 2 });
    });

    it('exits non-zero while anyone is deferred, and the next run delivers them', async () => {
      let open = false;
      smtp = await startSmtp({ rcpt: (to) => (to === 'sub1@example.org' && !open ? { code: 450, message: 'Mailbox busy' } : undefined) });
      const site = await sendSite(3);
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('1 message deferred or not yet sent; run the same command again');
      expect((await deliveries(site.database)).find((r) => r.email === 'sub1@example.org')).toMatchObject({ state: 'deferred', attempts: 3 });
      open = true;
      const next = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(next.code).toBe(0);
      expect(smtp.copies('sub1@example.org')).toBe(1);
      expect(smtp.received).toHaveLength(3);
    });

    it('does not mail someone who unsubscribes while the send is running', async () => {
      const site = await sendSite(8, { connections: 1 });
      const list = await openStore(site.database);
      const db = list.db;
      smtp = await startSmtp({
        onAccepted: async (to) => {
          // While the first message is accepted, sub5 unsubscribes (as the web service would record it).
          if (to === 'sub0@example.org') await setStatus(db, (await findSubscriber(db, 'sub5@example.org'))!.id, 'unsubscribed');
        },
      });
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      await list.close();
      expect(run.code).toBe(0);
      expect(smtp.copies('sub5@example.org')).toBe(0);
      expect(smtp.received).toHaveLength(7);
      expect(run.stdout).toContain('7 delivered, 0 failed, 1 skipped');
    });

    it('keeps a hostile title on one header line', async () => {
      smtp = await startSmtp();
      const site = await sendSite(1, { title: 'Line one\r\nBcc: victim@example.org\nX-Injected: yes' });
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(run.code).toBe(0);
      const { mail, raw } = smtp.received[0]!;
      expect(mail.subject).toBe('Line one Bcc: victim@example.org X-Injected: yes');
      expect(raw).not.toMatch(/^Bcc:/im);
      expect(raw).not.toMatch(/^X-Injected:/im);
      expect(smtp.received).toHaveLength(1);
    });

    it('signs with DKIM, covering the List-Unsubscribe headers', async () => {
      smtp = await startSmtp();
      const { privateKey, publicKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const site = await sendSite(1, { extraConfig: '\n[dkim]\ndomain = "news.example.com"\nselector = "gz2026"\nprivate_key = "dkim.pem"\n' });
      await writeFile(path.join(site.dir, 'dkim.pem'), privateKey);
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
      expect(run.code).toBe(0);
      const signature = /^DKIM-Signature: ([\s\S]*?)\r?\n(?=\S)/m.exec(smtp.received[0]!.raw)![1]!.replace(/\s+/g, '');
      expect(signature).toContain('d=news.example.com');
      expect(signature).toContain('s=gz2026');
      const signed = /;h=([^;]+)/.exec(signature)![1]!.toLowerCase().split(':');
      expect(signed).toEqual(expect.arrayContaining(['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post', 'list-id']));
      // The signature verifies with the public half of the key the test made (served as its DNS record),
      // and fails with another key: a message signed with any other key would not pass.
      const { dkimVerify } = await import('mailauth/lib/dkim/verify.js');
      const record = (key: string) => `v=DKIM1; k=rsa; p=${key.replace(/-----[^-]+-----|\s/g, '')}`;
      const verify = async (key: string) => {
        const result = await dkimVerify(Buffer.from(smtp!.received[0]!.raw), {
          resolver: async (name: string, type: string) => {
            expect([name, type]).toEqual(['gz2026._domainkey.news.example.com', 'TXT']);
            return [[record(key)]];
          },
        });
        return result.results.map((r: { status: { result: string } }) => r.status.result);
      };
      expect(await verify(publicKey)).toEqual(['pass']);
      const other = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      expect(await verify(other.publicKey)).toEqual(['fail']);
    });
  });
});

const sendSite = sendSiteOn;

describe('gazette send without a real send', () => {
  it('--to sends one test copy and leaves the ledger alone', async () => {
    smtp = await startSmtp();
    const site = await sendSite(3);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--to', 'editor@example.org', '--config', site.config);
    expect(run.code).toBe(0);
    expect(smtp.received.map((r) => r.to)).toEqual(['editor@example.org']);
    expect(await deliveries(site.database)).toEqual([]);
    expect((await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--to', 'not an address', '--config', site.config)).code).toBe(1);
  });

  it('--dry-run writes every message to the outbox beside the database (0700, files 0600), never into out/, and leaves the ledger alone', async () => {
    const { stat } = await import('node:fs/promises');
    smtp = await startSmtp();
    const site = await sendSite(3);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--dry-run', '--config', site.config);
    expect(run.code).toBe(0);
    expect(smtp.received).toHaveLength(0);
    const outbox = path.join(site.dir, 'data', 'outbox', 'issue-one');
    const files = await readdir(outbox);
    expect(files.sort()).toEqual(['000001-sub0@example.org.eml', '000002-sub1@example.org.eml', '000003-sub2@example.org.eml']);
    expect(await readFile(path.join(outbox, files[0]!), 'utf8')).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
    expect((await stat(outbox)).mode & 0o777).toBe(0o700);
    expect((await stat(path.dirname(outbox))).mode & 0o777).toBe(0o700);
    for (const f of files) expect((await stat(path.join(outbox, f))).mode & 0o777).toBe(0o600);
    expect(await deliveries(site.database)).toEqual([]);
    // A build publishes out/, which holds no message; the outbox stays where it is.
    expect((await gazetteWith({}, 'build', '--config', site.config)).code).toBe(0);
    expect(JSON.stringify(await snapshot(path.join(site.dir, 'out')))).not.toContain('outbox');
    expect(await readdir(outbox)).toHaveLength(3);
  });

  it('a build moves the outbox an older Gazette wrote into out/ out of it, beside the database', async () => {
    const site = await sendSite(1);
    expect((await gazetteWith({}, 'build', '--config', site.config)).code).toBe(0);
    await mkdir(path.join(site.dir, 'out', 'outbox', 'issue-one'), { recursive: true });
    await writeFile(path.join(site.dir, 'out', 'outbox', 'issue-one', '000001-sub0@example.org.eml'), 'Subject: old\r\n\r\nunsubscribe?token=1.x\r\n');
    expect((await gazetteWith({}, 'build', '--config', site.config)).code).toBe(0);
    expect(await readdir(path.join(site.dir, 'out'))).not.toContain('outbox');
    expect(await readdir(path.join(site.dir, 'data', 'outbox', 'issue-one'))).toEqual(['000001-sub0@example.org.eml']);
  });

  it('writes a message to a valid 254-character address in the outbox (a short file name, whatever the address)', async () => {
    const site = await sendSite(0);
    const long = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.org`;
    expect(long.length).toBe(254);
    expect((await gazetteWith({}, 'subscribers', 'add', long, '--config', site.config)).code).toBe(0);
    const run = await gazetteWith({}, 'send', '--dry-run', '--config', site.config);
    expect(run.code, run.stderr).toBe(0);
    const [file] = await readdir(path.join(site.dir, 'data', 'outbox', 'issue-one'));
    expect(file).toMatch(/^000001-a{64}~[0-9a-f]{12}\.eml$/);
    expect(await readFile(path.join(site.dir, 'data', 'outbox', 'issue-one', file!), 'utf8')).toContain(long);
  });

  it('without GAZETTE_SECRET, makes a secret on first use, kept beside the database with mode 0600, and reuses it', async () => {
    const { stat } = await import('node:fs/promises');
    const site = await sendSite(1);
    const first = await gazetteWith({ GAZETTE_SECRET: '' }, 'send', '--dry-run', '--config', site.config);
    expect(first.code).toBe(0);
    const secretFile = path.join(path.dirname(site.dbFile), 'gazette.secret');
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const secret = await readFile(secretFile, 'utf8');
    expect(secret.trim()).toMatch(/^[0-9a-f]{64}$/);
    const eml = async () => readFile(path.join(site.dir, 'data', 'outbox', 'issue-one', '000001-sub0@example.org.eml'), 'utf8');
    const link = /token=([\w.-]+)/.exec(await eml())![1];
    // The outbox of the first run goes: the token below is the second run's, made with the secret it read back.
    await rm(path.join(site.dir, 'data', 'outbox'), { recursive: true });
    const second = await gazetteWith({ GAZETTE_SECRET: '' }, 'send', '--dry-run', '--config', site.config);
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(secretFile, 'utf8')).toBe(secret);
    expect(/token=([\w.-]+)/.exec(await eml())![1]).toBe(link);
  });

  it('with no SMTP configured, stops with one line saying how to configure it; files are written only when asked (--dry-run)', async () => {
    const site = await sendSite(2);
    for (const args of [
      ['send', '--yes'],
      ['send', '--to', 'me@example.org'],
    ]) {
      const run = await gazetteWith({}, ...args, '--config', site.config);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        /^error: [^\n]*gazette\.toml: no SMTP server is configured: set GAZETTE_SMTP_URL [^\n]*; --dry-run writes the messages to files instead$/,
      );
    }
    await expect(readdir(path.join(site.dir, 'data', 'outbox'))).rejects.toThrow();
    expect(await deliveries(site.database)).toEqual([]);
    const dry = await gazetteWith({}, 'send', '--dry-run', '--config', site.config);
    expect(dry.code).toBe(0);
    expect(await readdir(path.join(site.dir, 'data', 'outbox', 'issue-one'))).toHaveLength(2);
    expect(await deliveries(site.database)).toEqual([]);
  });

  it('refuses to run while another send holds the database, and takes over a lock left by a killed one', async () => {
    smtp = await startSmtp();
    const site = await sendSite(2);
    const { spawn } = await import('node:child_process');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    holdLock(site.dbFile, other.pid!);
    const refused = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`another gazette send (process ${other.pid} on `);
    expect(smtp.received).toHaveLength(0);
    other.kill('SIGKILL');
    await new Promise((r) => other.on('exit', r));
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(run.code).toBe(0);
    expect(smtp.received).toHaveLength(2);
  });

  it('refuses without --yes when standard input is not a terminal', async () => {
    smtp = await startSmtp();
    const site = await sendSite(2);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--config', site.config);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: refusing to send “Issue one” to 2 subscribers without --yes (standard input is not a terminal to ask on)');
    expect(smtp.received).toHaveLength(0);
  });

  it('on a terminal, asks first, naming the issue, the recipients and the SMTP server', async () => {
    smtp = await startSmtp();
    const site = await sendSite(2);
    const no = { answer: 'n', questions: [] as string[] };
    const declined = await gazetteAt(no, { GAZETTE_SMTP_URL: smtp.url }, 'send', '--config', site.config);
    expect(no.questions).toEqual([`Send “Issue one” to 2 subscribers via smtp://127.0.0.1:${smtp.port}? [y/N] `]);
    expect(declined.code).toBe(1);
    expect(smtp.received).toHaveLength(0);
    const yes = await gazetteAt({ answer: 'y', questions: [] }, { GAZETTE_SMTP_URL: smtp.url }, 'send', '--config', site.config);
    expect(yes.code).toBe(0);
    expect(smtp.received).toHaveLength(2);
  });

  it('keeps to send.rate_limit', async () => {
    smtp = await startSmtp();
    const site = await sendSite(5, { extraConfig: 'rate_limit = 2\n' });
    const started = Date.now();
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(run.code).toBe(0);
    expect(smtp.received).toHaveLength(5);
    // Two a second: the fifth message cannot leave before two seconds have passed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('logs in with the credentials in GAZETTE_SMTP_URL over STARTTLS, and never prints the password', async () => {
    // The server refuses AUTH until STARTTLS: a login in clear would fail here.
    smtp = await startSmtp({ starttls: true, auth: { user: 'user', pass: 's3cr3t-pa55' } });
    const site = await sendSite(2);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: `smtp://user:s3cr3t-pa55@127.0.0.1:${smtp.port}` }, 'send', '--yes', '--config', site.config);
    expect(run.code, run.stderr).toBe(0);
    expect(smtp.received).toHaveLength(2);
    expect(smtp.logins.length).toBeGreaterThan(0);
    expect(smtp.logins.every((login) => login.secure && login.user === 'user')).toBe(true);
    expect(`${run.stdout}\n${run.stderr}`).not.toContain('s3cr3t-pa55');
  });

  it('a refused login stops the run at once, failing nobody', async () => {
    smtp = await startSmtp({ starttls: true, auth: { user: 'user', pass: 'right' } });
    const site = await sendSite(30);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: `smtp://user:wrong@127.0.0.1:${smtp.port}` }, 'send', '--yes', '--config', site.config);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: smtp:\/\/127\.0\.0\.1:\d+ refused the login[^\n]*$/);
    expect(run.stderr).not.toContain('wrong@');
    const rows = await deliveries(site.database);
    expect(rows.length).toBeLessThanOrEqual(2);
    expect(rows.every((r) => r.state === 'deferred')).toBe(true);
  });

  it('uses the [smtp] section with the password from GAZETTE_SMTP_PASSWORD', async () => {
    smtp = await startSmtp({ auth: { user: 'news', pass: 'from-env' } });
    const site = await sendSite(1, { extraConfig: `\n[smtp]\nhost = "127.0.0.1"\nport = ${smtp.port}\nuser = "news"\n` });
    const run = await gazetteWith({ GAZETTE_SMTP_PASSWORD: 'from-env' }, 'send', '--yes', '--config', site.config);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`via smtp://127.0.0.1:${smtp.port}`);
    expect(smtp.received).toHaveLength(1);
  });

  it('needs email.from and server.public_url, naming both', async () => {
    const site = await sendSite(1);
    await writeFile(site.config, (await readFile(site.config, 'utf8')).replace(/^from = .*$/m, '').replace(/^public_url = .*$/m, ''));
    const run = await gazetteWith({}, 'send', '--yes', '--config', site.config);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/email\.from is not set.*server\.public_url is not set/);
  });
});
