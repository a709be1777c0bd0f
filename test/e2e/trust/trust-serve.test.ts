import { afterEach, describe, expect, it } from 'vitest';
import { findSubscriber } from '../../../src/store/index.js';
import { insertSubscriber, setStatus } from '../../../src/store/subscribers.js';
import { undoToken, unsubscribeToken } from '../../../src/tokens/index.js';
import { gazetteWith, listOf, openDb, SECRET } from '../../helpers/send.js';
import { form, startTestServe, type TestServe } from '../../helpers/serve.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

let smtp: TestSmtp | undefined;
let serve: TestServe | undefined;
afterEach(async () => {
  await serve?.server.close();
  await smtp?.close();
  serve = undefined;
  smtp = undefined;
});

const key = Buffer.from(SECRET);
const subscriber = async (email: string) => {
  const db = openDb(serve!.site.dbFile);
  try {
    return (await findSubscriber(listOf(db), email))!;
  } finally {
    db.close();
  }
};
const settled = async () => {
  // Confirmations are mailed in the background: closing the server waits for them.
  await serve!.server.close();
  const closed = serve!;
  serve = undefined;
  return closed;
};
/** A POST from one client, as seen through one proxy of ours that appends what it saw (nginx's $proxy_add_x_forwarded_for). */
const viaProxy = (fields: Record<string, string>, forwardedFor: string) => {
  const f = form(fields);
  return { ...f, headers: { ...f.headers, 'x-forwarded-for': forwardedFor } };
};

describe('rate limits protect readers, not attackers', () => {
  it('honours every genuine one-click unsubscribe from one address (a provider sending many), and limits only what carries no valid token', async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp, 150);
    const statuses = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const token = unsubscribeToken(key, await subscriber(`sub${i}@example.org`));
        const r = await fetch(`${serve!.url}unsubscribe?token=${token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'List-Unsubscribe=One-Click',
        });
        return r.status;
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    for (const i of [0, 75, 149]) expect((await subscriber(`sub${i}@example.org`)).status).toBe('unsubscribed');
    // Guesses are limited: forged tokens from one address get 429 after the minute's allowance.
    const forged: number[] = [];
    for (let i = 0; i < 65; i++) forged.push((await fetch(`${serve.url}unsubscribe?token=${i}.${'A'.repeat(32)}`, { method: 'POST' })).status);
    expect(forged.slice(0, 60).every((s) => s === 400)).toBe(true);
    expect(forged.slice(60)).toEqual([429, 429, 429, 429, 429]);
    // And a genuine one still passes after that.
    const db = openDb(serve.site.dbFile);
    const late = await insertSubscriber(listOf(db), { email: 'late@example.org', status: 'subscribed', source: 'test' });
    db.close();
    expect((await fetch(`${serve.url}unsubscribe?token=${unsubscribeToken(key, late)}`, { method: 'POST' })).status).toBe(200);
  });

  it('the 429 and 413 answers are the site’s page in its language, not a framework’s JSON', async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp);
    let last: Response | undefined;
    for (let i = 0; i < 11; i++) last = await fetch(`${serve.url}subscribe`, form({ email: `x${i}@example.org` }));
    expect(last!.status).toBe(429);
    expect(last!.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await last!.text();
    expect(page).toContain('lang="zh-CN"');
    expect(page).toContain('请求太频繁');
    const big = await fetch(`${serve.url}unsubscribe?token=1.x`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await big.text()).toContain('请求内容太大');
  });
});

describe('behind a proxy, the client is who the proxy saw', () => {
  it('with trust_proxy, X-Forwarded-For is read from the right: what the client wrote on the left does not make it many clients', async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp, 0, '', { trustProxy: true });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await fetch(`${serve.url}subscribe`, viaProxy({ email: `p${i}@example${i}.org` }, `198.51.100.${i}, 203.0.113.7`));
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
  });
});

describe('confirmation mail cannot be turned on one inbox', () => {
  it('one confirmation an hour per mailbox: +tags, case and Gmail dots are one inbox', async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp, 0, '', { trustProxy: true });
    const addresses = [
      'victim+1@example.org',
      'victim+2@example.org',
      'Victim@Example.org',
      'VICTIM+x@example.org',
      'vic.tim@gmail.com',
      'v.i.c.t.i.m+z@googlemail.com',
      'victim@gmail.com',
    ];
    for (const [i, email] of addresses.entries()) {
      const r = await fetch(`${serve.url}subscribe`, viaProxy({ email }, `192.0.2.${i}`));
      expect(r.status, email).toBe(200);
    }
    const closed = await settled();
    expect(smtp.received.map((m) => m.to)).toEqual(['victim+1@example.org', 'vic.tim@gmail.com']);
    expect(closed.logs).toEqual([]);
  });

  it('a mailbox invited by the author within the hour gets no second confirmation from the form', async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp, 0, '', { trustProxy: true });
    const db = openDb(serve.site.dbFile);
    await insertSubscriber(listOf(db), { email: 'imported@example.org', status: 'pending', source: 'import' });
    db.close();
    const invite = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'subscribers', 'invite', '--yes', '--config', serve.site.config);
    expect(invite.code, invite.stderr).toBe(0);
    expect((await fetch(`${serve.url}subscribe`, viaProxy({ email: 'Imported+again@example.org' }, '192.0.2.9'))).status).toBe(200);
    await settled();
    expect(smtp.received.map((m) => m.to)).toEqual(['imported@example.org']);
  });

  it('caps confirmations per domain and in total per hour; past a cap every address gets the same answer', async () => {
    smtp = await startSmtp();
    // 40 an hour in all, so 20 (the least) to any one domain.
    serve = await startTestServe(smtp, 1, '', { trustProxy: true, extraServer: 'confirmations_per_hour = 40' });
    const answers: number[] = [];
    for (let i = 0; i < 25; i++) answers.push((await fetch(`${serve.url}subscribe`, viaProxy({ email: `reader${i}@big.example` }, `192.0.2.${i}`))).status);
    expect(answers.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(answers.slice(20).every((s) => s === 429)).toBe(true);
    // Other domains fill the hour's total.
    for (let i = 0; i < 25; i++) answers.push((await fetch(`${serve.url}subscribe`, viaProxy({ email: `reader@d${i}.example` }, `198.51.100.${i}`))).status);
    expect(answers.slice(25).filter((s) => s === 200)).toHaveLength(20);
    // Now a subscribed address and an unknown one are told the same: nothing about either.
    const known = await fetch(`${serve.url}subscribe`, viaProxy({ email: 'sub0@example.org' }, '203.0.113.1'));
    const unknown = await fetch(`${serve.url}subscribe`, viaProxy({ email: 'fresh@example.org' }, '203.0.113.2'));
    expect(known.status).toBe(429);
    expect(await known.text()).toBe(await unknown.text());
    await settled();
    expect(smtp.received).toHaveLength(40);
  });
});

describe('undo undoes only the unsubscribe just made', () => {
  it("a footer link's token (a forwarded copy, a year later) cannot subscribe anyone again: a fresh double opt-in is offered", async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp, 2);
    const db = openDb(serve.site.dbFile);
    await setStatus(listOf(db), (await subscriber('sub0@example.org')).id, 'unsubscribed', 'one-click');
    db.prepare("UPDATE subscribers SET unsubscribed_at = '2025-11-01T08:00:00.000Z' WHERE email = 'sub0@example.org'").run();
    db.close();
    const footer = unsubscribeToken(key, await subscriber('sub0@example.org'));
    const r = await fetch(`${serve.url}resubscribe?token=${footer}`, { method: 'POST' });
    expect(r.status).toBe(400);
    expect((await subscriber('sub0@example.org')).status).toBe('unsubscribed');
    // Posting the footer link again gives no undo button for the old unsubscribe.
    const again = await (await fetch(`${serve.url}unsubscribe?token=${footer}`, { method: 'POST' })).text();
    expect(again).not.toContain('resubscribe');
    // Nor does it ask whether it was a mistake.
    expect(again).not.toContain('点错了');
  });

  it('the undo button works for a few minutes, for that unsubscribe only; an expired one offers the subscribe form', async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp, 2);
    const footer = unsubscribeToken(key, await subscriber('sub1@example.org'));
    const page = await (await fetch(`${serve.url}unsubscribe?token=${footer}`, { method: 'POST' })).text();
    expect(page).toContain('点错了？');
    const undo = /action="(resubscribe\?token=[^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&');
    expect((await fetch(new URL(undo, serve.url), { method: 'POST' })).status).toBe(200);
    expect((await subscriber('sub1@example.org')).status).toBe('subscribed');
    // Used again after a later unsubscribe: it was for the earlier one.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await fetch(`${serve.url}unsubscribe?token=${footer}`, { method: 'POST' });
    const stale = await fetch(new URL(undo, serve.url), { method: 'POST' });
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain('action="subscribe"');
    expect((await subscriber('sub1@example.org')).status).toBe('unsubscribed');
    // Made 16 minutes ago: expired.
    const old = undoToken(key, await subscriber('sub1@example.org'), Date.now() - 16 * 60_000);
    expect((await fetch(`${serve.url}resubscribe?token=${old}`, { method: 'POST' })).status).toBe(400);
    expect((await subscriber('sub1@example.org')).status).toBe('unsubscribed');
  });

  it("an author's removal or a complaint is never undone by a reader's button", async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp, 1);
    const db = openDb(serve.site.dbFile);
    await setStatus(listOf(db), (await subscriber('sub0@example.org')).id, 'unsubscribed', 'command');
    db.close();
    const token = undoToken(key, await subscriber('sub0@example.org'));
    expect((await fetch(`${serve.url}resubscribe?token=${token}`, { method: 'POST' })).status).toBe(200);
    expect(await subscriber('sub0@example.org')).toMatchObject({ status: 'unsubscribed', unsubscribed_how: 'command' });
  });
});
