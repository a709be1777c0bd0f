import path from 'node:path';
import type { SendMailOptions } from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { renderConfirmation } from '../../../src/email/index.js';
import { readerWords } from '../../../src/i18n/index.js';
import { createApp } from '../../../src/serve/app.js';
import type { ReaderStore } from '../../../src/serve/deps.js';
import { STYLE_HASH } from '../../../src/serve/pages.js';
import { openStore, readerStore, type Store } from '../../../src/store/index.js';
import { topicsOf } from '../../../src/store/preferences.js';
import { findSubscriber, insertSubscriber, setStatus } from '../../../src/store/subscribers.js';
import { confirmToken, preferencesToken, UNDO_TTL_MS, undoToken, unsubscribeToken } from '../../../src/tokens/index.js';
import { SECRET, sendConfig } from '../../helpers/send.js';
import { makeSite } from '../../helpers/site.js';

/**
 * `serve`'s routes in this process (Fastify's inject), over a real SQLite
 * list: the answers' words, headers and statuses, what a request changes,
 * and the limits. (What mutation testing found untested: docs/mutation.md.)
 */

/** The tests' present: the store stamps its rows with the real time, so the clock starts there. */
const T0 = Date.now();
let opened: Store | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

async function setup(options: { store?: (store: ReaderStore) => Partial<ReaderStore>; mail?: (m: SendMailOptions) => Promise<unknown>; config?: string } = {}) {
  const dir = await makeSite({}, sendConfig(options.config));
  const { config } = await loadConfig(path.join(dir, 'gazette.toml'), 'serve', { env: { GAZETTE_SECRET: SECRET } });
  opened = await openStore(config.subscribers.database);
  const db = opened.db;
  const real = readerStore(db);
  const store = { ...real, ...options.store?.(real) } as ReaderStore;
  const mails: SendMailOptions[] = [];
  const logs: string[] = [];
  const clock = { now: T0 };
  const { app, settle } = await createApp({
    config,
    store,
    db,
    secret: Buffer.from(SECRET),
    mail: options.mail ?? (async (m) => mails.push(m)),
    confirmation: () => renderConfirmation(config),
    log: (l) => logs.push(l),
    now: () => clock.now,
  });
  const words = readerWords(config.site.language, config.site.title);
  const base = new URL(config.server.publicUrl!).pathname;
  const request = (
    method: 'GET' | 'POST' | 'PUT',
    route: string,
    init: { form?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
  ) =>
    app.inject({
      method,
      url: `${base}${route}`,
      headers: { ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers },
      ...(init.form ? { payload: new URLSearchParams(init.form).toString() } : init.body !== undefined ? { payload: init.body } : {}),
    });
  const add = (email: string, status: 'pending' | 'subscribed' | 'bounced' = 'subscribed') => insertSubscriber(db, { email, status, source: 'test' });
  return { app, settle, db, mails, logs, clock, words, request, add, secret: Buffer.from(SECRET) };
}

describe('every answer', () => {
  it('is an HTML page never cached, with the headers that keep it to itself', async () => {
    const s = await setup();
    const page = await s.request('GET', '');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cross-origin-embedder-policy']).toBeUndefined();
  });

  it('says which methods a known path takes', async () => {
    const s = await setup();
    const wrong = await s.request('PUT', 'unsubscribe');
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD, POST');
    expect(wrong.body).toContain(s.words.wrong_method);
    expect((await s.request('GET', 'subscribe')).headers.allow).toBe('POST');
    for (const [route, allowed] of [
      ['', 'GET, HEAD'],
      ['healthz', 'GET, HEAD'],
      ['confirm', 'GET, HEAD, POST'],
      ['resubscribe', 'POST'],
    ]) {
      const answer = await s.request('PUT', route!);
      expect([answer.statusCode, answer.headers.allow], route).toEqual([405, allowed]);
    }
  });

  it('allows the page its own style and nothing else: no scripts, frames, base or other forms', async () => {
    const s = await setup();
    const page = await s.request('GET', '');
    expect(page.headers['content-security-policy']).toBe(
      `default-src 'none';style-src ${STYLE_HASH};form-action 'self';frame-ancestors 'none';base-uri 'none'`,
    );
  });

  it('limits no page that takes no token: a thousand and one front pages in a minute are all answered', async () => {
    const s = await setup();
    const answers = await Promise.all(Array.from({ length: 1001 }, () => s.request('GET', '')));
    expect(answers.filter((a) => a.statusCode !== 200)).toEqual([]);
  });

  it('an error is a page in its words: too large, not understood, too many; a fault of ours is a 500, logged', async () => {
    const faults: unknown[] = [];
    const s = await setup({
      store: () => ({
        requestSubscription: async () => {
          throw faults.shift();
        },
      }),
    });
    const large = await s.request('POST', 'subscribe', { form: { email: 'a@example.org', name: 'x'.repeat(20_000) } });
    expect(large.statusCode).toBe(413);
    expect(large.body).toContain(s.words.too_large);
    expect(large.body).toContain(s.words.bad_request);
    const strange = await s.request('POST', 'subscribe', { headers: { 'content-type': 'application/xml' }, body: '<x/>' });
    expect(strange.statusCode).toBe(415);
    expect(strange.body).toContain(s.words.bad_request);
    expect(strange.body).not.toContain(s.words.failed);
    expect(strange.body).not.toContain(s.words.too_large);
    faults.push(new Error('the disk is on fire'), Object.assign(new Error('a redirect is no error'), { statusCode: 302 }), {
      toString: () => 'a thrown object',
    });
    for (const words of ['the disk is on fire', 'a redirect is no error', 'a thrown object']) {
      const failed = await s.request('POST', 'subscribe', { form: { email: 'b@example.org' } });
      expect(failed.statusCode).toBe(500);
      expect(failed.body).toContain(`<h1>${s.words.failed}</h1>`);
      expect(failed.body).not.toContain(words);
      expect(failed.body).not.toContain(s.words.bad_request);
      expect(s.logs.at(-1)).toBe(`error: ${words}`);
    }
    expect(s.logs).toHaveLength(3);
  });

  it('an error that says it is a server’s (a 503 from a plugin) is a 500 page of ours, logged; its words stay out', async () => {
    const s = await setup();
    s.app.get('/down', async () => {
      throw Object.assign(new Error('upstream is down'), { statusCode: 503 });
    });
    const answer = await s.app.inject({ method: 'GET', url: '/down' });
    expect(answer.statusCode).toBe(500);
    expect(answer.body).toContain(`<h1>${s.words.failed}</h1>`);
    expect(answer.body).not.toContain('upstream');
    expect(s.logs).toEqual(['error: upstream is down']);
  });
});

describe('health', () => {
  it('answers ok while the list can be read, 503 when it cannot', async () => {
    let broken = false;
    const s = await setup({
      store: (real) => ({
        ping: async () => {
          if (broken) throw new Error('gone');
          await real.ping();
        },
      }),
    });
    const ok = await s.request('GET', 'healthz');
    expect([ok.statusCode, ok.headers['content-type'], ok.body]).toEqual([200, 'text/plain', 'ok\n']);
    broken = true;
    const down = await s.request('GET', 'healthz');
    expect([down.statusCode, down.headers['content-type'], down.body]).toEqual([503, 'text/plain', 'the subscriber database cannot be read\n']);
  });
});

describe('subscribing', () => {
  it('tells why an address is refused, as a page or as JSON (asked by Accept or by the body)', async () => {
    const s = await setup();
    const page = await s.request('POST', 'subscribe', { form: { email: 'no-at-sign' } });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain(s.words.bad_address.replace('{reason}', '&quot;no-at-sign&quot; is not an email address (no @)'));
    const missing = await s.request('POST', 'subscribe', { form: { name: 'Nobody' } });
    expect(missing.body).toContain(s.words.bad_address.replace('{reason}', 'the email is empty'));
    const accept = await s.request('POST', 'subscribe', { form: { email: 'x' }, headers: { accept: 'application/json' } });
    expect(accept.json()).toEqual({ ok: false, message: s.words.bad_address.replace('{reason}', '"x" is not an email address (no @)') });
    const body = await s.request('POST', 'subscribe', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'y@example.org' }) });
    expect(body.json()).toEqual({ ok: true, message: s.words.check_inbox });
  });

  it('keeps the name a reader gives, on one line and 200 characters at most; none given, none kept', async () => {
    const s = await setup();
    await s.request('POST', 'subscribe', { form: { email: 'long@example.org', name: `  Ann\n${'a'.repeat(300)}` } });
    await s.request('POST', 'subscribe', { form: { email: 'plain@example.org', name: 'Bo' } });
    await s.request('POST', 'subscribe', { form: { email: 'none@example.org' } });
    const long = (await findSubscriber(s.db, 'long@example.org'))!.name;
    expect(long).toHaveLength(200);
    expect(long.startsWith('Ann a')).toBe(true);
    expect((await findSubscriber(s.db, 'plain@example.org'))!.name).toBe('Bo');
    expect((await findSubscriber(s.db, 'none@example.org'))!.name).toBe('');
  });

  it('when the hour’s confirmations are spent, says to come back in an hour, as a page or as JSON', async () => {
    const s = await setup({ store: () => ({ requestSubscription: async () => ({ busy: true }) }) });
    const json = await s.request('POST', 'subscribe', { form: { email: 'a@example.org' }, headers: { accept: 'application/json' } });
    expect([json.statusCode, json.headers['retry-after']]).toEqual([429, '3600']);
    expect(json.json()).toEqual({ ok: false, message: s.words.busy });
    const page = await s.request('POST', 'subscribe', { form: { email: 'a@example.org' } });
    expect([page.statusCode, page.headers['retry-after']]).toEqual([429, '3600']);
    expect(page.body).toContain(s.words.busy);
    expect(page.body).toContain(s.words.bad_request);
  });

  it('a confirmation that cannot be mailed is logged and gives its slot back: the reader may ask again at once', async () => {
    let fail = true;
    const sent: string[] = [];
    const s = await setup({
      mail: async (m) => {
        if (fail) throw new Error('the relay said no');
        sent.push(String(m.to));
      },
    });
    await s.request('POST', 'subscribe', { form: { email: 'ann@example.org' } });
    await s.settle();
    expect(s.logs).toEqual(['warning: could not mail a confirmation to ann@example.org: the relay said no']);
    expect((await findSubscriber(s.db, 'ann@example.org'))!.confirm_sent_at).toBeNull();
    fail = false;
    await s.request('POST', 'subscribe', { form: { email: 'ann@example.org' } });
    await s.settle();
    expect(sent).toHaveLength(1);
  });

  it('the confirm page names the address and posts the token back; a damaged or forged token is a bad link, not an expired one', async () => {
    const s = await setup();
    const ann = await s.add('ann@example.org', 'pending');
    const token = confirmToken(s.secret, ann, T0);
    const page = await s.request('GET', `confirm?token=${encodeURIComponent(token)}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ann@example.org');
    expect(page.body).toContain(`action="confirm?token=${encodeURIComponent(token)}"`);
    // The token in the body alone does it too (the form carries it as a field).
    const done = await s.request('POST', 'confirm', { form: { token } });
    expect(done.statusCode).toBe(200);
    expect((await findSubscriber(s.db, 'ann@example.org'))!.status).toBe('subscribed');
    for (const bad of [`${ann.id}.${'A'.repeat(32)}`, 'nonsense']) {
      for (const refused of [
        await s.request('GET', `confirm?token=${encodeURIComponent(bad)}`),
        await s.request('POST', 'confirm', { form: { token: bad } }),
      ]) {
        expect(refused.statusCode).toBe(400);
        expect(refused.body).toContain(s.words.bad_link);
        expect(refused.body).not.toContain(s.words.expired_link);
      }
    }
    s.clock.now = T0 + 8 * 24 * 3600_000;
    const expired = await s.request('POST', 'confirm', { form: { token } });
    expect(expired.body).toContain(s.words.expired_link);
  });
});

describe('limits', () => {
  it('sixty requests a minute without a valid token; a valid one always passes, on each route that takes one', async () => {
    const s = await setup();
    const ann = await s.add('ann@example.org', 'pending');
    const confirm = confirmToken(s.secret, ann, T0);
    for (let i = 0; i < 65; i++) expect((await s.request('POST', 'confirm', { form: { token: confirm } })).statusCode, `valid ${i}`).toBe(200);
    const forged = await Promise.all(Array.from({ length: 61 }, () => s.request('POST', 'confirm', { form: { token: 'forged.token' } })));
    expect(forged.filter((r) => r.statusCode === 429)).toHaveLength(1);
    expect(forged.find((r) => r.statusCode === 429)!.body).toContain(s.words.too_many);
    // The undo button's route, likewise.
    const bob = await s.add('bob@example.org');
    await setStatus(s.db, bob.id, 'unsubscribed', 'one-click');
    const row = (await findSubscriber(s.db, 'bob@example.org'))!;
    const undo = undoToken(s.secret, row, T0);
    for (let i = 0; i < 65; i++) {
      const r = await s.request('POST', 'resubscribe', { form: { token: undo } });
      expect(r.statusCode, `undo ${i}`).toBe(200);
      await setStatus(s.db, bob.id, 'unsubscribed', 'one-click');
      // The same unsubscribe time, so the token stays the one for it.
      await s.db.updateTable('subscribers').set({ unsubscribed_at: row.unsubscribed_at }).where('id', '=', bob.id).execute();
    }
    const guesses = await Promise.all(Array.from({ length: 61 }, () => s.request('POST', 'resubscribe', { form: { token: `${bob.id}.x.${'A'.repeat(32)}` } })));
    expect(guesses.filter((r) => r.statusCode === 429)).toHaveLength(1);
  });

  it('the preferences page likewise: its own token always passes, sixty guesses a minute', async () => {
    const s = await setup();
    const ann = await s.add('ann@example.org');
    const token = preferencesToken(s.secret, ann);
    for (let i = 0; i < 65; i++) expect((await s.request('GET', `preferences?token=${token}`)).statusCode, `valid ${i}`).toBe(200);
    // Another purpose's token is no key to this page.
    const others = await Promise.all(Array.from({ length: 61 }, () => s.request('GET', `preferences?token=${unsubscribeToken(s.secret, ann)}`)));
    expect(others.filter((r) => r.statusCode === 429)).toHaveLength(1);
  });
});

describe('leaving', () => {
  it('the unsubscribe page names the address and posts the token back', async () => {
    const s = await setup();
    const ann = await s.add('ann@example.org');
    const token = unsubscribeToken(s.secret, ann);
    const page = await s.request('GET', `unsubscribe?token=${encodeURIComponent(token)}`);
    expect(page.body).toContain('ann@example.org');
    expect(page.body).toContain(`action="unsubscribe?token=${encodeURIComponent(token)}"`);
  });

  it('records a mail client’s one-click as such, and the page’s button as the page', async () => {
    const s = await setup();
    const ann = await s.add('ann@example.org');
    const bob = await s.add('bob@example.org');
    await s.request('POST', `unsubscribe?token=${unsubscribeToken(s.secret, ann)}`, { form: { 'List-Unsubscribe': 'One-Click' } });
    await s.request('POST', `unsubscribe?token=${unsubscribeToken(s.secret, bob)}`, { form: { token: unsubscribeToken(s.secret, bob) } });
    expect((await findSubscriber(s.db, 'ann@example.org'))!.unsubscribed_how).toBe('one-click');
    expect((await findSubscriber(s.db, 'bob@example.org'))!.unsubscribed_how).toBe('page');
    // A client that labels its body JSON or plain text, whatever it holds: the token in the URL is what counts.
    for (const [email, type] of [
      ['carol@example.org', 'application/json'],
      ['dan@example.org', 'text/plain'],
    ] as const) {
      const reader = await s.add(email);
      const answer = await s.request('POST', `unsubscribe?token=${unsubscribeToken(s.secret, reader)}`, {
        headers: { 'content-type': type },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(answer.statusCode, type).toBe(200);
      expect((await findSubscriber(s.db, email))!.status).toBe('unsubscribed');
    }
  });

  it('offers the undo button for 15 minutes after leaving, to a repeat too; never to a reader who bounced', async () => {
    const s = await setup();
    const ann = await s.add('ann@example.org');
    const token = unsubscribeToken(s.secret, ann);
    const leave = () => s.request('POST', `unsubscribe?token=${token}`, { form: { 'List-Unsubscribe': 'One-Click' } });
    expect((await leave()).body).toContain('resubscribe');
    s.clock.now = Date.now() + UNDO_TTL_MS - 2000;
    expect((await leave()).body).toContain('resubscribe');
    s.clock.now = Date.now() + UNDO_TTL_MS + 2000;
    expect((await leave()).body).not.toContain('resubscribe');
    const dead = await s.add('dead@example.org', 'bounced');
    s.clock.now = T0;
    const bounced = await s.request('POST', `unsubscribe?token=${unsubscribeToken(s.secret, dead)}`, { form: { 'List-Unsubscribe': 'One-Click' } });
    expect(bounced.statusCode).toBe(200);
    expect(bounced.body).not.toContain('resubscribe');
  });

  it('an undo token that is forged is a bad link; one for an older unsubscribe says to subscribe again', async () => {
    const s = await setup();
    const ann = await s.add('ann@example.org');
    await setStatus(s.db, ann.id, 'unsubscribed', 'one-click');
    const row = (await findSubscriber(s.db, 'ann@example.org'))!;
    const forged = await s.request('POST', 'resubscribe', { form: { token: 'nonsense' } });
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain(s.words.bad_link);
    s.clock.now = T0 + UNDO_TTL_MS + 1000;
    const late = await s.request('POST', 'resubscribe', { form: { token: undoToken(s.secret, row, T0) } });
    expect(late.statusCode).toBe(400);
    expect(late.body).not.toContain(s.words.bad_link);
    expect(late.body).toContain(s.words.undo_expired.replace('{site}', '「Test Digest」').slice(0, 10));
  });
});

describe('the preferences page', () => {
  const TOPICS = '[topics.models]\nlabel = "Models"\ntags = ["models"]\n\n[topics.tools]\nlabel = "Tools"\ntags = ["tools"]\n';
  const chosen = async (s: Awaited<ReturnType<typeof setup>>, email: string) => {
    const row = (await findSubscriber(s.db, email))!;
    return { topics: (await topicsOf(s.db, [row.id])).get(row.id), frequency: row.frequency, at: row.preferences_at };
  };

  it('shows the reader’s choice and changes nothing on GET; a POST saves it, with the clock’s time, and shows it saved', async () => {
    const s = await setup({ config: TOPICS });
    const ann = await s.add('ann@example.org');
    const token = preferencesToken(s.secret, ann);
    const page = await s.request('GET', `preferences?token=${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ann@example.org');
    expect(page.body).toContain('<input type="radio" name="frequency" value="daily" checked>');
    expect(page.body).toContain(`value="${token}"`);
    // The unsubscribe button on the page carries the reader’s own unsubscribe token.
    expect(page.body).toContain(unsubscribeToken(s.secret, ann));
    expect(await chosen(s, 'ann@example.org')).toEqual({ topics: [], frequency: 'daily', at: null });
    s.clock.now = T0 + 5000;
    const saved = await s.request('POST', 'preferences', { form: { token, topic: 'tools', frequency: 'weekly' } });
    expect(saved.statusCode).toBe(200);
    const savedWords = s.words.preferences_saved.split('{email}')[0]!;
    expect(saved.body).toContain(savedWords);
    expect(page.body).not.toContain(savedWords);
    expect(saved.body).toContain('<input type="checkbox" name="topic" value="tools" checked>');
    expect(saved.body).toContain('<input type="checkbox" name="topic" value="models">');
    expect(saved.body).toContain('<input type="radio" name="frequency" value="weekly" checked>');
    expect(await chosen(s, 'ann@example.org')).toEqual({ topics: ['tools'], frequency: 'weekly', at: new Date(T0 + 5000).toISOString() });
    // Nothing ticked: everything, every issue.
    const reset = await s.request('POST', 'preferences', { form: { token } });
    expect(reset.statusCode).toBe(200);
    expect((await chosen(s, 'ann@example.org')).topics).toEqual([]);
    expect((await chosen(s, 'ann@example.org')).frequency).toBe('daily');
  });

  it('the subscribe form: its choice is kept for a new reader; a form without one records no choice; a subscribed reader’s is theirs', async () => {
    const s = await setup({ config: TOPICS });
    await s.request('POST', 'subscribe', { form: { email: 'plain@example.org' } });
    expect(await chosen(s, 'plain@example.org')).toEqual({ topics: [], frequency: 'daily', at: null });
    s.clock.now = T0 + 7000;
    await s.request('POST', 'subscribe', { form: { email: 'picky@example.org', topic: 'models', frequency: 'weekly' } });
    expect(await chosen(s, 'picky@example.org')).toEqual({ topics: ['models'], frequency: 'weekly', at: new Date(T0 + 7000).toISOString() });
    await s.add('ann@example.org');
    await s.request('POST', 'subscribe', { form: { email: 'ann@example.org', topic: 'tools' } });
    expect(await chosen(s, 'ann@example.org')).toEqual({ topics: [], frequency: 'daily', at: null });
    // A topic the form does not offer: refused, as JSON when asked, and nobody is added.
    const forged = await s.request('POST', 'subscribe', { form: { email: 'forged@example.org', topic: 'sports' }, headers: { accept: 'application/json' } });
    expect([forged.statusCode, forged.json()]).toEqual([400, { ok: false, message: s.words.bad_request }]);
    expect(await findSubscriber(s.db, 'forged@example.org')).toBeUndefined();
  });

  it('refuses a topic the page does not offer, two frequencies, a token of another purpose and a damaged one; nothing saved', async () => {
    const s = await setup({ config: TOPICS });
    const ann = await s.add('ann@example.org');
    const token = preferencesToken(s.secret, ann);
    const offered: Array<Record<string, string>> = [
      { token, topic: 'sports' },
      { token, topic: 'tools', frequency: 'monthly' },
    ];
    for (const form of offered) {
      const refused = await s.request('POST', 'preferences', { form });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain(s.words.bad_request);
    }
    const twice = await s.request('POST', 'preferences', {
      body: `token=${token}&frequency=daily&frequency=weekly`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(twice.statusCode).toBe(400);
    for (const bad of [unsubscribeToken(s.secret, ann), `${token}x`, '']) {
      expect((await s.request('GET', `preferences?token=${encodeURIComponent(bad)}`)).statusCode).toBe(400);
      expect((await s.request('POST', 'preferences', { form: { token: bad, topic: 'tools' } })).statusCode).toBe(400);
    }
    expect(await chosen(s, 'ann@example.org')).toEqual({ topics: [], frequency: 'daily', at: null });
  });

  it('keeps the choice of a reader not yet confirmed; one who left sees that they left, and nothing of theirs changes', async () => {
    const s = await setup({ config: TOPICS });
    const pending = await s.add('pending@example.org', 'pending');
    const kept = await s.request('POST', 'preferences', { form: { token: preferencesToken(s.secret, pending), topic: 'models' } });
    expect(kept.statusCode).toBe(200);
    expect(kept.body).toContain('<input type="checkbox" name="topic" value="models" checked>');
    expect((await chosen(s, 'pending@example.org')).topics).toEqual(['models']);
    for (const status of ['unsubscribed', 'bounced'] as const) {
      const gone = await s.add(`${status}@example.org`);
      await setStatus(s.db, gone.id, status, status === 'bounced' ? 'bounce' : 'page');
      const token = preferencesToken(s.secret, gone);
      for (const answer of [
        await s.request('GET', `preferences?token=${token}`),
        await s.request('POST', 'preferences', { form: { token, topic: 'models', frequency: 'weekly' } }),
      ]) {
        expect(answer.statusCode).toBe(200);
        expect(answer.body).toContain(`${status}@example.org`);
        expect(answer.body).not.toContain('name="topic"');
      }
      expect(await chosen(s, `${status}@example.org`)).toEqual({ topics: [], frequency: 'daily', at: null });
    }
  });
});
