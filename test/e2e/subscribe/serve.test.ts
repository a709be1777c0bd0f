import { afterEach, describe, expect, it } from 'vitest';
import { findSubscriber, getSubscriber } from '../../../src/store/index.js';
import { confirmToken, unsubscribeToken } from '../../../src/tokens/index.js';
import { onEachBackend } from '../../helpers/backends.js';
import { gazetteWith, SECRET, withList } from '../../helpers/send.js';
import { form, linkIn, startTestServe as startOn, type TestServe } from '../../helpers/serve.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

let smtp: TestSmtp | undefined;
let serve: TestServe | undefined;
afterEach(async () => {
  await serve?.server.close();
  await smtp?.close();
  serve = undefined;
  smtp = undefined;
});

const subscriber = async (email: string) => (await withList(serve!.site.database, (db) => findSubscriber(db, email)))!;

/** Wait until `check` holds (a confirmation is mailed in the background). */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

onEachBackend('serve', (backend) => {
  const startTestServe = (smtp: TestSmtp, count = 0, extra = '', server: Parameters<typeof startOn>[3] = {}) =>
    startOn(smtp, count, extra, { ...server, backend });
  describe('gazette serve: subscribing', () => {
    it('double opt-in: the form, the email, a confirm page whose GET changes nothing, and the button', async () => {
      smtp = await startSmtp();
      serve = await startTestServe(smtp);
      const landing = await fetch(serve.url);
      expect(landing.status).toBe(200);
      const page = await landing.text();
      expect(page).toContain('<form method="post" action="subscribe">');
      expect(page).toContain('lang="zh-CN"');
      expect(landing.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
      expect(landing.headers.get('referrer-policy')).toBe('no-referrer');

      const res = await fetch(`${serve.url}subscribe`, form({ email: 'Reader@Example.org', name: 'Reader' }));
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('请查收邮件');
      await until(() => smtp!.received.length === 1);
      expect((await subscriber('reader@example.org'))!.status).toBe('pending');
      const mail = smtp.received[0]!;
      expect(mail.mail.subject).toBe('确认订阅「Test Digest」');
      expect(mail.raw).not.toMatch(/^List-Unsubscribe:/m);
      const link = serve.local(linkIn(mail.mail.text!, 'confirm'));
      const shown = await fetch(link);
      expect(shown.status).toBe(200);
      expect(await shown.text()).toContain('确认订阅</button>');
      expect((await subscriber('reader@example.org'))!.status).toBe('pending');
      const confirmed = await fetch(link, { method: 'POST' });
      expect(confirmed.status).toBe(200);
      expect((await subscriber('reader@example.org'))!.status).toBe('subscribed');
      expect((await fetch(link, { method: 'POST' })).status).toBe(200);
    });

    it('answers alike whether the address is new or already subscribed, mails a subscriber nothing, and mails once an hour', async () => {
      smtp = await startSmtp();
      serve = await startTestServe(smtp, 1);
      const known = await (await fetch(`${serve.url}subscribe`, form({ email: 'sub0@example.org' }))).text();
      const unknown = await (await fetch(`${serve.url}subscribe`, form({ email: 'new@example.org' }))).text();
      expect(unknown).toBe(known);
      await fetch(`${serve.url}subscribe`, form({ email: 'new@example.org' }));
      await serve.server.close();
      const closed = serve;
      serve = undefined;
      expect(smtp.received.map((r) => r.to)).toEqual(['new@example.org']);
      expect(closed.logs).toEqual([]);
    });

    it('takes JSON from fetch, and a bot that fills the hidden field is told the same and ignored', async () => {
      smtp = await startSmtp();
      serve = await startTestServe(smtp);
      const json = await fetch(`${serve.url}subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'js@example.org' }),
      });
      expect(json.status).toBe(200);
      expect(await json.json()).toMatchObject({ ok: true });
      const bad = await fetch(`${serve.url}subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'not an address' }),
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).ok).toBe(false);
      const bot = await fetch(`${serve.url}subscribe`, form({ email: 'bot@example.org', website: 'http://spam.example' }));
      expect(bot.status).toBe(200);
      await until(() => smtp!.received.length === 1);
      expect(await subscriber('bot@example.org')).toBeUndefined();
    });

    it('limits each client, ignoring X-Forwarded-For unless server.trust_proxy is set', async () => {
      smtp = await startSmtp();
      serve = await startTestServe(smtp);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await fetch(`${serve.url}subscribe`, {
          ...form({ email: `r${i}@example.org` }),
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `10.0.0.${i}` },
        });
        statuses.push(r.status);
      }
      expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
      expect(statuses.slice(10)).toEqual([429, 429]);

      // Behind a proxy (server.trust_proxy), each X-Forwarded-For address is its own client.
      await serve.server.close();
      serve = await startTestServe(smtp, 0, '', { trustProxy: true });
      for (let i = 0; i < 12; i++) {
        const r = await fetch(`${serve.url}subscribe`, {
          ...form({ email: `p${i}@example.org` }),
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `10.0.1.${i}` },
        });
        expect(r.status).toBe(200);
      }
    });
  });

  describe('gazette serve: leaving', () => {
    it('GET shows a button and changes nothing; a one-click POST unsubscribes, twice is fine, and undo works', async () => {
      smtp = await startSmtp();
      serve = await startTestServe(smtp, 2);
      const row = await subscriber('sub1@example.org');
      const link = `${serve.url}unsubscribe?token=${unsubscribeToken(Buffer.from(SECRET), row)}`;
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('退订</button>');
      expect((await subscriber('sub1@example.org'))!.status).toBe('subscribed');
      const oneClick = await fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(oneClick.status).toBe(200);
      const after = await subscriber('sub1@example.org');
      expect(after).toMatchObject({ status: 'unsubscribed', unsubscribed_how: 'one-click' });
      expect(
        (await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })).status,
      ).toBe(200);
      const undoForm = /<form method="post" action="(resubscribe\?token=[^"]+)">/.exec(await oneClick.text())![1]!;
      const undo = await fetch(new URL(undoForm.replaceAll('&amp;', '&'), serve.url), { method: 'POST' });
      expect(undo.status).toBe(200);
      expect((await subscriber('sub1@example.org'))!.status).toBe('subscribed');
      // Some mail clients send the one-click request as multipart/form-data.
      const boundary = 'xyz';
      const multipart = await fetch(link, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
      });
      expect(multipart.status).toBe(200);
      expect(await subscriber('sub1@example.org')).toMatchObject({ status: 'unsubscribed', unsubscribed_how: 'one-click' });
      // And clients that send another content type, or no body at all.
      const sub0 = `${serve.url}unsubscribe?token=${unsubscribeToken(Buffer.from(SECRET), await subscriber('sub0@example.org')!)}`;
      const plain = await fetch(sub0, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'List-Unsubscribe=One-Click' });
      expect(plain.status).toBe(200);
      expect(await subscriber('sub0@example.org')).toMatchObject({ status: 'unsubscribed', unsubscribed_how: 'one-click' });
      expect((await fetch(sub0, { method: 'POST' })).status).toBe(200);
    });

    it('refuses forged, expired and other-purpose tokens with a 400 page, changing nothing', async () => {
      smtp = await startSmtp();
      serve = await startTestServe(smtp, 1);
      const row = await subscriber('sub0@example.org');
      const secret = Buffer.from(SECRET);
      const unsub = unsubscribeToken(secret, row);
      const confirm = confirmToken(secret, row);
      const expired = confirmToken(secret, row, Date.now() - 8 * 24 * 3600 * 1000);
      const forged = `${row.id}.${'A'.repeat(32)}`;
      const cases: Array<[string, string, RegExp]> = [
        ['unsubscribe', forged, /链接无效/],
        ['unsubscribe', confirm, /链接无效/],
        ['unsubscribe', '', /链接无效/],
        ['confirm', unsub, /链接无效/],
        ['confirm', expired, /确认链接已过期/],
        ['confirm', `${confirm}x`, /链接无效/],
        ['resubscribe', confirm, /链接无效/],
      ];
      for (const [route, token, text] of cases) {
        for (const method of route === 'resubscribe' ? ['POST'] : ['GET', 'POST']) {
          const r = await fetch(`${serve.url}${route}?token=${encodeURIComponent(token)}`, { method });
          expect(r.status, `${method} ${route} ${token}`).toBe(400);
          expect(await r.text()).toMatch(text);
        }
      }
      expect((await subscriber('sub0@example.org'))!.status).toBe('subscribed');
    });

    it('takes effect during a send: a reader who leaves is not mailed a message not yet begun', async () => {
      // Every message after the second waits at DATA until the reader has left: the send is
      // mid-way, whatever the machine's load, and the last subscriber's message not yet begun.
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let accepted = 0;
      smtp = await startSmtp({ hold: () => (++accepted > 2 ? gate : undefined) });
      serve = await startTestServe(smtp, 40, '');
      const last = (await withList(serve.site.database, (db) => getSubscriber(db, 40)))!;
      const sending = gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', serve.site.config);
      await until(() => smtp!.received.length >= 2);
      const left = await fetch(`${serve.url}unsubscribe?token=${unsubscribeToken(Buffer.from(SECRET), last)}`, form({ 'List-Unsubscribe': 'One-Click' }));
      expect(left.status).toBe(200);
      open();
      const run = await sending;
      expect(run.code, run.stderr).toBe(0);
      expect(smtp.copies(last.email)).toBe(0);
      expect(smtp.received).toHaveLength(39);
    });
  });

  describe('gazette serve: bad requests are 4xx, never 5xx', () => {
    it('wrong methods, bodies, content types, sizes and paths', async () => {
      smtp = await startSmtp();
      serve = await startTestServe(smtp);
      const u = serve.url;
      const cases: Array<[string, RequestInit, number]> = [
        [`${u}subscribe`, { method: 'GET' }, 405],
        [`${u}subscribe`, { method: 'PUT' }, 405],
        [`${u}`, { method: 'DELETE' }, 405],
        [`${u}subscribe`, { method: 'POST' }, 400],
        [`${u}subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' }, 400],
        [`${u}subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2,3]' }, 400],
        [`${u}subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email": {"$ne": 1}}' }, 400],
        [`${u}subscribe`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' }, 415],
        [`${u}subscribe`, form({ email: `${'a'.repeat(1_000_000)}@example.org` }), 413],
        [`${u}unsubscribe?token=1.2.3`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x'.repeat(20_000) }, 413],
        [`${u}confirm?token[]=a&token[]=b`, { method: 'GET' }, 400],
        [`${u}nope`, { method: 'GET' }, 404],
        [`${u.replace('/newsletter/', '/')}`, { method: 'GET' }, 404],
      ];
      for (const [url, init, status] of cases) {
        const r = await fetch(url, init);
        expect(r.status, `${init.method} ${url.slice(0, 80)}`).toBe(status);
        const text = await r.text();
        expect(text).not.toMatch(/at .*\.(js|ts):\d+/);
      }
      const allow = await fetch(`${u}subscribe`, { method: 'GET' });
      expect(allow.headers.get('allow')).toBe('POST');
      expect(serve.logs).toEqual([]);
      expect((await fetch(`${u}healthz`)).status).toBe(200);
    });
  });

  describe('subscribers invite', () => {
    it('asks every pending subscriber once; a second run asks nobody', async () => {
      smtp = await startSmtp();
      serve = await startTestServe(smtp);
      const { writeFile } = await import('node:fs/promises');
      const path = await import('node:path');
      const file = path.join(serve.site.dir, 'pending.csv');
      await writeFile(file, 'email,status\na@example.org,pending\nb@example.org,pending\nc@example.org,subscribed\n');
      const env = { GAZETTE_SMTP_URL: smtp.url };
      await gazetteWith(env, 'subscribers', 'import', file, '--config', serve.site.config);
      const first = await gazetteWith(env, 'subscribers', 'invite', '--yes', '--config', serve.site.config);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^Asked 2 pending subscribers to confirm/);
      expect(smtp.received.map((r) => r.to).sort()).toEqual(['a@example.org', 'b@example.org']);
      const second = await gazetteWith(env, 'subscribers', 'invite', '--yes', '--config', serve.site.config);
      expect(second.stdout).toMatch(/^Nobody to ask/);
      expect(smtp.received).toHaveLength(2);
      const confirmed = await fetch(serve.local(linkIn(smtp.received[0]!.mail.text!, 'confirm')), { method: 'POST' });
      expect(confirmed.status).toBe(200);
      expect((await subscriber(smtp.received[0]!.to))!.status).toBe('subscribed');
    });
  });
});

const _startTestServe = startOn;

describe('gazette serve as a process', () => {
  it('starts from the command line, answers, and on SIGTERM finishes and exits 0', async () => {
    const { spawn } = await import('node:child_process');
    const path = await import('node:path');
    const { ROOT } = await import('../../helpers/site.js');
    const { sendSite } = await import('../../helpers/send.js');
    const site = await sendSite(1);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/gazette.js'), 'serve', '--port', '0', '--config', site.config], {
      env: { ...process.env, GAZETTE_SECRET: SECRET, GAZETTE_SMTP_URL: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    await until(() => /listening on (http:\S+)\)/.test(stdout), 10_000);
    const url = /listening on (http:\S+)\)/.exec(stdout)![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/newsletter\/$/);
    // The address readers use, then where it listens: each named once.
    expect(stdout.split('\n')[0]).toMatch(
      /^Readers' pages at https:\/\/news\.example\.com\/newsletter\/ \(listening on http:\/\/127\.0\.0\.1:\d+\/newsletter\/\); confirmation emails are written to .*confirmations\/ \(no SMTP configured\)\. Ctrl-C stops\.$/,
    );
    expect((await fetch(`${url}healthz`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('Stopping');
  }, 20_000);
});
