import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { insertSubscriber } from '../../../src/store/subscribers.js';
import { unsubscribeToken } from '../../../src/tokens/index.js';
import { renderSite } from '../../helpers/email.js';
import { listOf, openDb, SECRET } from '../../helpers/send.js';
import { startTestServe, type TestServe } from '../../helpers/serve.js';
import { gazette, madeFolders, makeSite, read } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

/** Values that `String.replace` would read as patterns, and characters TOML forbids in a string. */
const HOSTILE = ['Deals $$ Daily', "Before $' after", 'Before $` after', 'Whole $& match', 'Del\u007fchar', 'Tab\tand "quotes" \\ back'];

let smtp: TestSmtp | undefined;
let serve: TestServe | undefined;
afterEach(async () => {
  await serve?.server.close();
  await smtp?.close();
  serve = undefined;
  smtp = undefined;
});

describe('a value from outside is inserted verbatim, escaped for where it lands', () => {
  it('init writes a config that loads with exactly the title given, and new an issue that builds with it', async () => {
    for (const title of HOSTILE) {
      const base = await mkdtemp(path.join(tmpdir(), 'gazette-test-'));
      madeFolders.add(base);
      const dir = path.join(base, 'site');
      const init = await gazette('init', dir, '--title', title, '--timezone', 'UTC');
      expect(init.code, `${title}: ${init.stderr}`).toBe(0);
      const { config } = await loadConfig(path.join(dir, 'gazette.toml'));
      expect(config.site.title, title).toBe(title);
      const created = await gazette('new', title, '--slug', 'hostile', '--date', '2026-01-02', '--config', path.join(dir, 'gazette.toml'));
      expect(created.code, created.stderr).toBe(0);
      const [issueFile] = (await readdir(path.join(dir, 'content'))).filter((f) => f.includes('hostile'));
      const text = (await readFile(path.join(dir, 'content', issueFile!), 'utf8')).replace('draft = true', 'draft = false');
      await (await import('node:fs/promises')).writeFile(path.join(dir, 'content', issueFile!), text);
      const built = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
      expect(built.code, `${title}: ${built.stderr}`).toBe(0);
      const feed = JSON.parse(await read(dir, 'out/feed.json')) as { title: string; items: Array<{ title: string }> };
      expect(feed.title.replace('\u007f', '')).toBe(title.replace('\u007f', ''));
      expect(feed.items.map((i) => i.title)).toContain(title.replace('\u007f', '').replace('\t', ' '));
    }
  });

  it("a tag page's heading holds the tag as written", async () => {
    const dir = await makeSite({ 'content/a.md': `+++\ntitle = "A"\ndate = 2026-01-01\ntags = ["$' and $&"]\n+++\nA\n` });
    expect((await gazette('build', '--config', path.join(dir, 'gazette.toml'))).code).toBe(0);
    const tags = await readdir(path.join(dir, 'out', 'tags'));
    const page = await read(dir, `out/tags/${tags[0]}/index.html`);
    expect(page).toContain('$&#39; and $&amp;');
  });

  it("serve's pages show an address holding $' and $& as it is", async () => {
    smtp = await startSmtp();
    serve = await startTestServe(smtp);
    const db = openDb(serve.site.dbFile);
    const row = await insertSubscriber(listOf(db), { email: "a$'b$&c@example.org", status: 'subscribed', source: 'test' });
    db.close();
    const token = unsubscribeToken(Buffer.from(SECRET), row);
    const page = await (await fetch(`${serve.url}unsubscribe?token=${encodeURIComponent(token)}`)).text();
    expect(page).toContain('<strong>a$&#39;b$&amp;c@example.org</strong>');
    // An address can hold quotes and = (valid in a local part): echoed, it stays text.
    const db2 = openDb(serve.site.dbFile);
    const sly = await insertSubscriber(listOf(db2), {
      email: "x'onfocus='alert(1)'autofocus='@example.org".replace(/[()]/g, ''),
      status: 'subscribed',
      source: 'test',
    });
    db2.close();
    for (const route of ['unsubscribe']) {
      const shown = await (await fetch(`${serve.url}${route}?token=${encodeURIComponent(unsubscribeToken(Buffer.from(SECRET), sly))}`)).text();
      expect(shown).toContain('x&#39;onfocus=&#39;alert1&#39;autofocus=&#39;@example.org');
      expect(shown).not.toMatch(/<[^>]*\sonfocus=/);
    }
  });

  it("a table cell's alignment from the issue's HTML reaches the email's style only as a keyword", async () => {
    const table = '<table><tr><td align="center">a</td><td align="left;background:url(https://evil.example/x)">b</td></tr></table>';
    const site = await renderSite({ 'content/a.md': `+++\ntitle = "A"\ndate = 2026-01-01\n+++\n\n${table}\n` });
    const html = site.emails.get(site.issues[0]!)!.html;
    expect(html).toContain('text-align:center');
    expect(html).not.toMatch(/style="[^"]*evil\.example/);
  });
});
