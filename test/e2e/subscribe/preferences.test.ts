import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { findSubscriber, topicsOf } from '../../../src/store/index.js';
import { type Backend, onEachBackend } from '../../helpers/backends.js';
import { gazetteWith, withList } from '../../helpers/send.js';
import { form, linkIn, startTestServe, type TestServe } from '../../helpers/serve.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';
import { CHROMIUM, describeWith, launchChromium } from '../../helpers/system.js';

const TOPICS = '[topics.models]\nlabel = "Models"\ntags = ["models"]\n\n[topics.tools]\nlabel = "Tools & <b>kits</b>"\ntags = ["tools"]\n';
const issue = (slug: string, day: number, tags: string[]) =>
  `+++\ntitle = "${slug}"\ndate = 2026-02-0${day}T08:00:00+08:00\ntags = ${JSON.stringify(tags)}\n+++\n\nBody of ${slug}.\n`;

let smtp: TestSmtp | undefined;
let serve: TestServe | undefined;
afterEach(async () => {
  await serve?.server.close();
  await smtp?.close();
  serve = undefined;
  smtp = undefined;
});

/** A list of two readers of everything on `serve`, with issues on models and on tools; `send` mails one and says who got it. */
async function setUp(backend?: Backend) {
  smtp = await startSmtp();
  serve = await startTestServe(smtp, 2, TOPICS, { ...(backend ? { backend } : {}) });
  await writeFile(path.join(serve.site.dir, 'content', 'models.md'), issue('models', 2, ['models']));
  await writeFile(path.join(serve.site.dir, 'content', 'tools.md'), issue('tools', 3, ['tools']));
  const send = async (slug: string) => {
    const before = smtp!.received.length;
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp!.url }, 'send', '--yes', '--issue', slug, '--config', serve!.site.config);
    expect(run.code, run.stderr).toBe(0);
    return smtp!.received.slice(before);
  };
  return { send, serve, smtp };
}

const choice = (database: Parameters<typeof withList>[0], email: string) =>
  withList(database, async (db) => {
    const row = (await findSubscriber(db, email))!;
    return { topics: (await topicsOf(db, [row.id])).get(row.id), frequency: row.frequency, at: row.preferences_at };
  });

onEachBackend('the preferences page', (backend) => {
  it('is linked from every email (HTML and text); a reader picks topics there, and the next send follows the choice', async () => {
    const { send, serve } = await setUp(backend);
    const first = await send('issue-one');
    const copy = first.find((r) => r.to === 'sub0@example.org')!;
    const link = linkIn(copy.mail.html as string, 'preferences');
    expect(linkIn(copy.mail.text!, 'preferences')).toBe(link);
    const page = await fetch(serve.local(link));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<input type="checkbox" name="topic" value="models"> Models');
    // A topic's label is text, never markup.
    expect(html).toContain('Tools &amp; &lt;b&gt;kits&lt;/b&gt;');
    expect(html).toContain('<input type="radio" name="frequency" value="daily" checked>');
    const token = new URL(link).searchParams.get('token')!;
    const saved = await fetch(serve.local(link), form({ token, topic: 'tools', frequency: 'daily' }));
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('<input type="checkbox" name="topic" value="tools" checked>');
    const chosen = await choice(serve.site.database, 'sub0@example.org');
    expect(chosen).toMatchObject({ topics: ['tools'], frequency: 'daily' });
    expect(Date.now() - Date.parse(chosen.at!)).toBeLessThan(60_000);
    // From the next send on: sub0 gets tools, not models; sub1 (everything) gets both.
    expect((await send('models')).map((r) => r.to)).toEqual(['sub1@example.org']);
    expect((await send('tools')).map((r) => r.to).sort()).toEqual(['sub0@example.org', 'sub1@example.org']);
  });

  it('refuses forged tokens, tokens of another purpose, and choices the page does not offer', async () => {
    const { send, serve } = await setUp(backend);
    const copy = (await send('issue-one')).find((r) => r.to === 'sub0@example.org')!;
    const preferences = linkIn(copy.mail.html as string, 'preferences');
    const unsubscribe = linkIn(copy.mail.html as string, 'unsubscribe');
    const token = new URL(preferences).searchParams.get('token')!;
    const forged = token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const other = token.replace(/^\d+/, '2');
    for (const bad of [forged, other, new URL(unsubscribe).searchParams.get('token')!, 'preview', '']) {
      expect((await fetch(serve.local(`${serve.url}preferences?token=${encodeURIComponent(bad)}`))).status, bad).toBe(400);
      expect((await fetch(`${serve.url}preferences`, form({ token: bad, topic: 'tools', frequency: 'weekly' }))).status, bad).toBe(400);
    }
    // The preferences token does not unsubscribe anyone.
    expect((await fetch(`${serve.url}unsubscribe?token=${encodeURIComponent(token)}`, form({ 'List-Unsubscribe': 'One-Click' }))).status).toBe(400);
    for (const fields of [
      { token, topic: 'sports', frequency: 'daily' },
      { token, topic: 'tools', frequency: 'hourly' },
    ]) {
      expect((await fetch(`${serve.url}preferences`, form(fields))).status).toBe(400);
    }
    expect(await choice(serve.site.database, 'sub0@example.org')).toMatchObject({ topics: [], frequency: 'daily', at: null });
    expect(await choice(serve.site.database, 'sub1@example.org')).toMatchObject({ topics: [], frequency: 'daily', at: null });
  });
});

onEachBackend('the subscribe form with [topics]', (backend) => {
  it('offers the topics and how often; keeps the choice of an address not yet confirmed, never of a subscribed one', async () => {
    const { serve } = await setUp(backend);
    const landing = await (await fetch(serve.url)).text();
    expect(landing).toContain('<input type="checkbox" name="topic" value="tools">');
    expect(landing).toContain('<input type="radio" name="frequency" value="weekly">');
    const asked = await fetch(`${serve.url}subscribe`, form({ email: 'new@example.org', topic: 'tools', frequency: 'weekly' }));
    expect(asked.status).toBe(200);
    expect(await choice(serve.site.database, 'new@example.org')).toMatchObject({ topics: ['tools'], frequency: 'weekly' });
    // A stranger's form for a subscribed reader changes nothing of theirs.
    expect((await fetch(`${serve.url}subscribe`, form({ email: 'sub0@example.org', topic: 'models', frequency: 'weekly' }))).status).toBe(200);
    expect(await choice(serve.site.database, 'sub0@example.org')).toMatchObject({ topics: [], frequency: 'daily', at: null });
    // A choice no form offers: refused, and no reader is made.
    expect((await fetch(`${serve.url}subscribe`, form({ email: 'odd@example.org', topic: 'sports' }))).status).toBe(400);
    expect(await withList(serve.site.database, (db) => findSubscriber(db, 'odd@example.org'))).toBeUndefined();
    // The site's own pages carry the same form.
    expect((await gazetteWith({}, 'build', '--config', serve.site.config)).code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(path.join(serve.site.dir, 'out', 'index.html'), 'utf8')).toContain('name="topic" value="models"');
  });
});

describeWith(CHROMIUM, 'apt-get install chromium fonts-noto-cjk', 'a reader changes their preferences in a browser', () => {
  // The site is in Chinese (zh-CN): so is the page.
  it('between two sends: weekly from then on, or back to every issue with one topic; and leaving from the same page', async () => {
    const { send, serve } = await setUp();
    const copy = (await send('issue-one')).find((r) => r.to === 'sub0@example.org')!;
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ viewport: { width: 375, height: 740 } });
      tab.setDefaultTimeout(8000);
      await tab.goto(serve.local(linkIn(copy.mail.html as string, 'preferences')));
      await tab.getByLabel('每周一封合集').check();
      await tab.getByRole('button', { name: '保存设置' }).click();
      await tab.getByText('已保存').waitFor();
      expect(await choice(serve.site.database, 'sub0@example.org')).toMatchObject({ topics: [], frequency: 'weekly' });
      expect((await send('models')).map((r) => r.to)).toEqual(['sub1@example.org']);
      // Back to every issue, models only.
      await tab.getByLabel('每期都收').check();
      await tab.getByLabel('Models').check();
      await tab.getByRole('button', { name: '保存设置' }).click();
      await tab.getByText('已保存').waitFor();
      expect((await send('tools')).map((r) => r.to)).toEqual(['sub1@example.org']);
      // Leaving everything from the same page.
      await tab.getByRole('button', { name: '全部退订' }).click();
      await tab.getByText('sub0@example.org').first().waitFor();
      expect((await withList(serve.site.database, (db) => findSubscriber(db, 'sub0@example.org')))!.status).toBe('unsubscribed');
    } finally {
      await browser.close();
    }
  });
});
