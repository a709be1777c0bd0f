import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { assertWellFormed, checkJsonFeed, readFeed } from '../../helpers/feeds.js';
import { BASE_CONFIG, DIGEST, gazette, gazetteProcess, madeFolders, makeSite, ROOT, read, snapshot } from '../../helpers/site.js';

/**
 * The time allowed a test that runs whole builds in other processes: it waits on them rather than
 * measuring them, and on two cores shared with another suite (CI's load test) a build with MJML
 * takes many times its usual second or two.
 */
const WHOLE_BUILDS = 180_000;

const HOSTILE = [
  '+++',
  'title = "  <script>alert(1)</script> & \\"quotes\\"\\n  on two\\tlines\\u0007 "',
  'date = 2026-03-03T10:00:00+08:00',
  'tags = ["<b>bold</b>", "a & b", "x]]>y", "&nbsp;&foo;"]',
  'categories = ["\u0001ctl"]',
  '+++',
  '',
  'Text with ]]> and again ]]> and a control \u0001 character, and inline `<script>` code.',
  '',
  '<script>alert(1)</script><img src=x onerror=alert(1)>',
  '',
  '<![CDATA[ sneaky ]]>',
  '',
  '```',
  'code with ]]> inside',
  '```',
  '',
].join('\n');

async function fixtureSite(extraConfig = ''): Promise<string> {
  const seed = await readFile(DIGEST);
  return makeSite(
    {
      'content/seed-digest.md': seed,
      'content/hostile.md': HOSTILE,
      'content/english.md':
        '\uFEFF---\r\ntitle: English issue\r\ndate: 2026-03-02\r\nsummary: A summary.\r\ntags: [news]\r\nauthor:\r\n  name: Ada\r\n  email: ada@example.com\r\n---\r\nHello **world**.\r\n',
      'content/bundle-issue/index.md': '+++\ntitle = "Bundle"\ndate = 2026-02-20T09:00:00\n+++\n![d](diagram.png) ![a](/images/a.png)\n',
      'content/bundle-issue/diagram.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
      'content/bundle-issue/notes.md': 'not an issue',
      'content/secret-draft.md': '+++\ntitle = "DRAFT-TITLE-7f3"\ndate = 2026-01-01\ndraft = true\n+++\nDRAFT-BODY-7f3\n',
      'content/2099-future.md': '+++\ntitle = "FUTURE-TITLE-9k2"\ndate = 2099-01-01\n+++\nFUTURE-BODY-9k2\n',
      'content/_index.md': '# section page, not an issue',
    },
    BASE_CONFIG + extraConfig,
  );
}

describe('gazette build on a hostile fixture site', () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = await fixtureSite();
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Built 4 issues (left out: 1 draft, 1 dated in the future)');
    out = path.join(dir, 'out');
  });

  it('writes well-formed RSS and Atom', async () => {
    for (const name of ['rss.xml', 'atom.xml']) {
      const xml = await read(out, name);
      expect(() => assertWellFormed(xml), name).not.toThrow();
      expect(xml).not.toContain('<![CDATA[');
      expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    }
  });

  it('RSS 2.0 reads back in a feed reader parser, newest first, with full content', async () => {
    const xml = await read(out, 'rss.xml');
    const feed = readFeed(xml);
    expect(feed.meta.type).toBe('rss');
    expect(feed.title).toBe('Test Digest');
    expect(feed.language).toBe('zh-CN');
    expect(feed.self).toBe('https://news.example.com/rss.xml');
    expect(feed.items.map((i) => i.title)).toEqual([
      '<script>alert(1)</script> & "quotes" on two lines',
      'English issue',
      'AI 技术深度日报｜2026-02-23',
      'Bundle',
    ]);
    const seed = feed.items[2]!;
    expect(seed.content).toContain('<strong>是什么</strong>');
    expect(seed.url).toBe('https://news.example.com/posts/seed-digest/');
    expect(seed.published?.toISOString()).toBe('2026-02-23T00:00:00.000Z');
    expect(seed.categories.map((c) => c.label ?? c.term)).toEqual(['AI']);
    expect(xml).toContain('<pubDate>Mon, 23 Feb 2026 08:00:00 +0800</pubDate>');
    expect(xml).toContain('<lastBuildDate>Tue, 03 Mar 2026 10:00:00 +0800</lastBuildDate>');
    const hostile = feed.items[0]!;
    expect(hostile.content).toContain(']]> and again ]]>');
    expect(hostile.content).toContain('code with ]]> inside');
    expect(hostile.content).not.toMatch(/onerror|alert/);
    const html = JSON.parse(await read(out, 'feed.json')).items[0].content_html;
    expect(html).not.toMatch(/<script|onerror|alert/);
    expect(html).toContain('<code>&#x3C;script></code>');
    // The summary mentions <script> as text: RSS descriptions are HTML, so it is escaped as such.
    expect(xml).toContain('inline &amp;lt;script&amp;gt; code.</description>');
    expect(hostile.description).toContain('inline <script> code.');
    // The parser HTML-decodes category text, so `&nbsp;&foo;` is checked in the raw XML.
    expect(hostile.categories.map((c) => c.label ?? c.term)).toEqual(['<b>bold</b>', 'a & b', 'x]]>y', '\u00a0&foo;', 'ctl']);
    expect(xml).toContain('<category>&amp;nbsp;&amp;foo;</category>');
    expect(feed.items[1]!.authors[0]).toMatchObject({ name: 'Ada', email: 'ada@example.com' });
  });

  it('Atom 1.0 has xml:lang, categories with term, plain-text titles and RFC 3339 dates', async () => {
    const xml = await read(out, 'atom.xml');
    expect(xml).toMatch(/<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom" xml:lang="zh-CN">/);
    expect(xml).toContain('<category term="a &amp; b"/>');
    expect(xml).toContain('<category term="&lt;b&gt;bold&lt;/b&gt;"/>');
    expect(xml).toContain('<link rel="self" type="application/atom+xml" href="https://news.example.com/atom.xml"/>');
    expect(xml).toContain('<updated>2026-03-03T10:00:00+08:00</updated>');
    const feed = readFeed(xml);
    expect(feed.meta.type).toBe('atom');
    expect(feed.language).toBe('zh-CN');
    expect(feed.items[0]!.title).toBe('<script>alert(1)</script> & "quotes" on two lines');
    expect(feed.items[0]!.categories.map((c) => c.term)).toEqual(['<b>bold</b>', 'a & b', 'x]]>y', '&nbsp;&foo;', 'ctl']);
    expect(feed.items[2]!.content).toContain('<strong>是什么</strong>');
  });

  it('JSON Feed is version 1.1 with authors and language', async () => {
    const text = await read(out, 'feed.json');
    expect(checkJsonFeed(text)).toEqual([]);
    const feed = JSON.parse(text);
    expect(feed.language).toBe('zh-CN');
    expect(feed.items[0].title).toBe('<script>alert(1)</script> & "quotes" on two lines');
    expect(feed.items[1].summary).toBe('A summary.');
    expect(feed.items[2].date_published).toBe('2026-02-23T08:00:00+08:00');
  });

  it('gives each issue one tag: id, the same in all three formats', async () => {
    const rss = readFeed(await read(out, 'rss.xml')).items.map((i) => i.id);
    const atom = readFeed(await read(out, 'atom.xml')).items.map((i) => i.id);
    const json = JSON.parse(await read(out, 'feed.json')).items.map((i: { id: string }) => i.id);
    expect(rss).toEqual(atom);
    expect(rss).toEqual(json);
    expect(new Set(rss).size).toBe(4);
    expect(rss[2]).toBe('tag:news.example.com,2026-02-23:seed-digest');
  });

  it('passes the checks the W3C Feed Validation Service makes of ids, dates, addresses and links', async () => {
    const rss = await read(out, 'rss.xml');
    const atom = await read(out, 'atom.xml');
    // RFC 4151 tag URIs as the validator reads them: lower-case host, a date, then URI characters only.
    const tag = /^tag:[a-z0-9.-]+,\d{4}(-\d{2}(-\d{2})?)?:[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+$/;
    for (const [, id] of rss.matchAll(/<guid isPermaLink="false">([^<]*)<\/guid>/g)) expect(id).toMatch(tag);
    for (const [, id] of atom.matchAll(/<entry>\s*<id>([^<]*)<\/id>/g)) expect(id).toMatch(tag);
    const rfc822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;
    for (const [, d] of rss.matchAll(/<(?:pubDate|lastBuildDate)>([^<]*)</g)) expect(d).toMatch(rfc822);
    const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/;
    for (const [, d] of atom.matchAll(/<(?:updated|published)>([^<]*)</g)) expect(d).toMatch(rfc3339);
    // <author> in RSS is an address, optionally with a name in parentheses.
    for (const [, a] of rss.matchAll(/<author>([^<]*)<\/author>/g)) expect(a).toMatch(/^[\w.+-]+@[\w-]+(\.[\w-]+)+ \([^()]+\)$/);
    // Every link and image in content is absolute; no script, event handler or embedded object.
    for (const item of JSON.parse(await read(out, 'feed.json')).items) {
      for (const [, url] of (item.content_html as string).matchAll(/(?:href|src)="([^"]*)"/g)) expect(url).toMatch(/^(https?|mailto):/);
      expect(item.content_html).not.toMatch(/<(script|object|embed|meta|iframe)[\s>]|\son\w+=/i);
      expect(item.url).toMatch(/^https:\/\/news\.example\.com\/[\x21-\x7e]*$/);
    }
  });

  it('keeps ids when base_url moves from http to https', async () => {
    const other = await fixtureSite();
    const toml = path.join(other, 'gazette.toml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(toml, BASE_CONFIG.replace('https://news.example.com/', 'http://news.example.com/'));
    expect((await gazette('build', '--config', toml)).code).toBe(0);
    const ids = (x: string) => JSON.parse(x).items.map((i: { id: string }) => i.id);
    expect(ids(await read(path.join(other, 'out'), 'feed.json'))).toEqual(ids(await read(out, 'feed.json')));
  });

  it('builds byte-identical output from the same content', async () => {
    const first = await snapshot(out);
    expect((await gazette('build', '--config', path.join(dir, 'gazette.toml'))).code).toBe(0);
    expect(await snapshot(out)).toEqual(first);
  });

  it('leaves no trace of drafts or future issues anywhere in out/', async () => {
    const files = await snapshot(out);
    for (const rel of Object.keys(files)) {
      const text = await read(out, rel);
      expect(text, rel).not.toMatch(/DRAFT-|FUTURE-|secret-draft|2099-future/);
      expect(rel).not.toMatch(/secret-draft|2099-future/);
    }
  });

  it('writes pages and copies bundle resources, with absolute URLs in content', async () => {
    const files = Object.keys(await snapshot(out)).sort();
    expect(files).toContain('posts/bundle-issue/index.html');
    expect(files).toContain('posts/bundle-issue/diagram.png');
    expect(files).not.toContain('posts/bundle-issue/notes.md');
    expect(files).toContain('index.html');
    const feed = JSON.parse(await read(out, 'feed.json'));
    const bundle = feed.items.find((i: { title: string }) => i.title === 'Bundle');
    expect(bundle.content_html).toContain('src="https://news.example.com/posts/bundle-issue/diagram.png"');
    expect(bundle.content_html).toContain('src="https://news.example.com/images/a.png"');
    const page = await read(out, 'posts/seed-digest/index.html');
    expect(page).toContain('<html lang="zh-CN">');
    expect(page).toContain('<strong>是什么</strong>');
  });

  it('includes drafts and future issues only when asked', async () => {
    const other = await fixtureSite();
    const run = await gazette('build', '--drafts', '--future', '--config', path.join(other, 'gazette.toml'));
    expect(run.code).toBe(0);
    const titles = JSON.parse(await read(path.join(other, 'out'), 'feed.json')).items.map((i: { title: string }) => i.title);
    expect(titles).toContain('DRAFT-TITLE-7f3');
    expect(titles[0]).toBe('FUTURE-TITLE-9k2');
  });

  it('holds only the newest feeds.limit issues', async () => {
    const other = await fixtureSite('\n[feeds]\nlimit = 2\n');
    expect((await gazette('build', '--config', path.join(other, 'gazette.toml'))).code).toBe(0);
    for (const name of ['rss.xml', 'atom.xml']) {
      expect(readFeed(await read(path.join(other, 'out'), name)).items.map((i) => i.title)).toEqual([
        '<script>alert(1)</script> & "quotes" on two lines',
        'English issue',
      ]);
    }
    expect(JSON.parse(await read(path.join(other, 'out'), 'feed.json')).items).toHaveLength(2);
  });
});

describe('front matter as Hugo sites write it', () => {
  it('reads keys in any case, publishDate for date, and yes/no drafts', async () => {
    const dir = await makeSite({
      'content/a.md': '---\nTitle: Capitalised\nDate: 2026-02-01\nTags: [x]\n---\nA\n',
      'content/b.md': '---\ntitle: Published\npublishDate: 2026-02-02\ndraft: "no"\n---\nB\n',
      'content/c.md': '---\ntitle: Draft\ndate: 2026-02-03\ndraft: "yes"\n---\nC\n',
    });
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code, run.stderr).toBe(0);
    const items = JSON.parse(await read(path.join(dir, 'out'), 'feed.json')).items;
    expect(items.map((i: { title: string }) => i.title)).toEqual(['Published', 'Capitalised']);
    expect(items[1].tags).toEqual(['x']);
  });
});

describe('URLs and slugs', () => {
  it('handles Chinese file names, bundles and permalink placeholders', async () => {
    const dir = await makeSite(
      {
        'content/周报 第一期.md': '+++\ntitle = "周报"\ndate = 2026-02-01T09:00:00\n+++\n[上一期](../上一期/)\n',
        'content/2026/深度/index.md': '---\ntitle: 深度\ndate: 2026-02-02\n---\n![图](图.png)\n',
        'content/2026/深度/图.png': new Uint8Array([1, 2, 3]),
      },
      BASE_CONFIG.replace('[site.author]', 'permalink = "/{year}/{month}/{slug}/"\n[site.author]'),
    );
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(0);
    const out = path.join(dir, 'out');
    const files = Object.keys(await snapshot(out));
    expect(files).toContain('2026/02/周报-第一期/index.html');
    expect(files).toContain('2026/02/深度/图.png');
    const feed = JSON.parse(await read(out, 'feed.json'));
    expect(feed.items.map((i: { url: string }) => decodeURI(i.url))).toEqual([
      'https://news.example.com/2026/02/深度/',
      'https://news.example.com/2026/02/周报-第一期/',
    ]);
    expect(feed.items[0].id).toBe(`tag:news.example.com,2026-02-02:${encodeURIComponent('深度')}`);
    expect(feed.items[0].content_html).toContain(`src="https://news.example.com/2026/02/${encodeURIComponent('深度')}/${encodeURIComponent('图')}.png"`);
    for (const name of ['rss.xml', 'atom.xml']) assertWellFormed(await read(out, name));
  });

  it('builds a site with no published issues into valid, empty feeds', async () => {
    const dir = await makeSite({ 'content/d.md': '+++\ntitle = "d"\ndate = 2026-01-01\ndraft = true\n+++\n' });
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: no published issues');
    const out = path.join(dir, 'out');
    expect(readFeed(await read(out, 'atom.xml')).items).toEqual([]);
    expect(checkJsonFeed(await read(out, 'feed.json'))).toEqual([]);
  });
});

describe('the issue cache', () => {
  /** The body cache's one segment file, with `from` replaced by `to` (of the same length: offsets stay true). */
  async function tamperPack(cacheDir: string, from: string, to: string): Promise<void> {
    const { readdir, readFile, writeFile } = await import('node:fs/promises');
    const packs = (await readdir(cacheDir)).filter((n) => /^bodies-[0-9a-f]{16}\.pack$/.test(n));
    expect(packs).toHaveLength(1);
    const file = path.join(cacheDir, packs[0]!);
    const text = await readFile(file, 'utf8');
    expect(Buffer.byteLength(from)).toBe(Buffer.byteLength(to));
    expect(text).toContain(from);
    await writeFile(file, text.replaceAll(from, to));
  }

  it('reads an unchanged issue from the cache, parses a changed one again, and prunes stale entries', async () => {
    const { readdir, readFile, rm, truncate, writeFile } = await import('node:fs/promises');
    const dir = await makeSite({ 'content/one.md': '+++\ntitle = "One"\ndate = 2026-01-01\n+++\nHello **world**.\n' });
    const config = path.join(dir, 'gazette.toml');
    // Pages are made anew from the issues (an output folder with a manifest would keep its unchanged pages).
    const buildAfresh = async () => {
      await rm(path.join(dir, 'out'), { recursive: true, force: true });
      await rm(path.join(dir, '.out.spare'), { recursive: true, force: true });
      const run = await gazette('build', '--config', config);
      expect(run.code, run.stderr).toBe(0);
      return read(path.join(dir, 'out'), 'feed.json');
    };
    expect((await gazette('build', '--config', config)).code).toBe(0);
    const cacheDir = path.join(dir, '.gazette-cache', 'content');
    const index = path.join(cacheDir, 'issues.json');
    const pack = async () => (await readdir(cacheDir)).find((n) => n.endsWith('.pack'))!;
    // Tamper with the index of parsed issues: if the next build uses it, the tampering shows.
    await writeFile(index, (await read(cacheDir, 'issues.json')).replace('"title":"One"', '"title":"FROM-INDEX"'));
    expect(await buildAfresh()).toContain('FROM-INDEX');
    // The HTML comes from the body cache; a damaged index is a miss, the issue parsed again.
    await tamperPack(cacheDir, 'world', 'C4CHE');
    await writeFile(index, '{not json');
    const feed = await buildAfresh();
    expect(feed).toContain('C4CHE');
    expect(feed).not.toContain('FROM-INDEX');
    // A short body segment is a miss too, not an error, even where the index knows the issue.
    await truncate(path.join(cacheDir, await pack()), 10);
    expect(await buildAfresh()).toContain('<strong>world</strong>');
    // One damaged but of the right size is found only when read: the build fails, out/ untouched,
    // the segment removed, and the next build parses the issue afresh.
    const segment = path.join(cacheDir, await pack());
    await writeFile(segment, '{'.padEnd((await readFile(segment)).length, ' '));
    await rm(path.join(dir, '.out.spare'), { recursive: true, force: true });
    const before = await snapshot(path.join(dir, 'out'));
    const broken = await gazette('build', '--config', config);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/one\.md: the build cache changed during the build .*build again$/);
    expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
    expect(await buildAfresh()).toContain('<strong>world</strong>');
    // Change the issue: parsed afresh; the old entries are pruned.
    await writeFile(path.join(dir, 'content/one.md'), '+++\ntitle = "One"\ndate = 2026-01-01\n+++\nHello again.\n');
    expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(await read(path.join(dir, 'out'), 'feed.json')).toContain('Hello again.');
    expect((await readdir(cacheDir)).sort()).toEqual([expect.stringMatching(/^bodies-[0-9a-f]{16}\.pack$/), 'bodies.json', 'issues.json']);
    expect(Object.keys(JSON.parse(await read(cacheDir, 'issues.json')).entries)).toHaveLength(1);
    expect(Object.keys(JSON.parse(await read(cacheDir, 'bodies.json')).entries)).toHaveLength(1);
  });

  it('journals a new issue instead of rewriting the index; a cut-short line is skipped; a long journal is folded into the index', async () => {
    const { readdir, readFile, rm, writeFile } = await import('node:fs/promises');
    const post = (n: number) => `+++\ntitle = "Issue ${n}"\ndate = 2026-01-${String(n).padStart(2, '0')}\n+++\nBody of ${n}.\n`;
    const files: Record<string, string> = {};
    for (let n = 1; n <= 10; n++) files[`content/${n}.md`] = post(n);
    const dir = await makeSite(files);
    const config = path.join(dir, 'gazette.toml');
    const cacheDir = path.join(dir, '.gazette-cache', 'content');
    const build = async () => {
      const run = await gazette('build', '--config', config);
      expect(run.code, run.stderr).toBe(0);
    };
    const buildAfresh = async () => {
      await rm(path.join(dir, 'out'), { recursive: true, force: true });
      await rm(path.join(dir, '.out.spare'), { recursive: true, force: true });
      await build();
      return read(path.join(dir, 'out'), 'feed.json');
    };
    await build();
    const snapshot = await read(cacheDir, 'issues.json');
    expect(await readdir(cacheDir)).not.toContain('issues.log');
    await writeFile(path.join(dir, 'content', '11.md'), post(11));
    await build();
    // The index is as it was; the new issue is a line of the journal, which the next build reads.
    expect(await read(cacheDir, 'issues.json')).toBe(snapshot);
    const journal = await read(cacheDir, 'issues.log');
    expect(
      journal
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)[0]),
    ).toEqual(['e']);
    await writeFile(path.join(cacheDir, 'issues.log'), journal.replace('"title":"Issue 11"', '"title":"FROM-JOURNAL"'));
    expect(await buildAfresh()).toContain('FROM-JOURNAL');
    // A line cut short (a build killed while appending) is skipped: the issue is parsed again.
    await writeFile(path.join(cacheDir, 'issues.log'), journal.slice(0, journal.length - 20));
    const feed = await buildAfresh();
    expect(feed).toContain('Issue 11');
    expect(feed).not.toContain('FROM-JOURNAL');
    // More issues: past a quarter of the index (some 1.5 KB here), the journal is folded into a new index.
    let n = 11;
    while ((await readdir(cacheDir)).includes('issues.log')) {
      expect(++n).toBeLessThan(15);
      await writeFile(path.join(dir, 'content', `${n}.md`), post(n));
      await build();
    }
    expect(n).toBeGreaterThan(11);
    const folded = JSON.parse(await read(cacheDir, 'issues.json'));
    expect(Object.values(folded.entries).map((e) => (e as { title: string }).title)).toContain(`Issue ${n}`);
    expect(Object.keys(folded.entries)).toHaveLength(n);
    expect(await readFile(path.join(dir, 'out', 'feed.json'), 'utf8')).toContain(`Issue ${n}`);
  });

  it('vouches for an unchanged file by its identity; a file rewritten to the same size and time is read again', async () => {
    const { readFile, stat, utimes, writeFile } = await import('node:fs/promises');
    const dir = await makeSite({ 'content/one.md': '+++\ntitle = "One"\ndate = 2026-01-01\n+++\nHello **world**.\n' });
    const config = path.join(dir, 'gazette.toml');
    const file = path.join(dir, 'content', 'one.md');
    // Identities are recorded only for files left alone for a few seconds before the build: the
    // builds run with the clock 3.1 s ahead (Date alone is faked; timers and I/O are real).
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3100);
      for (let i = 0; i < 2; i++) expect((await gazette('build', '--config', config)).code).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    const cacheDir = path.join(dir, '.gazette-cache', 'content');
    const index = JSON.parse(await read(cacheDir, 'issues.json'));
    expect(Object.keys(index.files)).toEqual([`${file}\n`]);
    // Point the recorded identity at another entry: the next build takes the file's key from it,
    // without hashing the file, and when the email needs the file's text, the text read then is
    // checked against that key, and refused.
    const [identityOf, key] = index.files[`${file}\n`];
    const other = 'f'.repeat(64);
    index.entries[other] = { ...index.entries[key], title: 'VOUCHED' };
    index.files[`${file}\n`] = [identityOf, other];
    await writeFile(path.join(cacheDir, 'issues.json'), JSON.stringify(index));
    const vouched = await gazette('build', '--config', config);
    expect(vouched.code).toBe(1);
    expect(vouched.stderr).toMatch(/one\.md: the file changed while the build was reading it; build again$/);
    // The same size, the modification time put back: the change time still tells.
    const before = await stat(file);
    await writeFile(file, (await readFile(file, 'utf8')).replace('world', 'WORLD'));
    await utimes(file, before.atime, before.mtime);
    expect(Math.abs((await stat(file)).mtimeMs - before.mtimeMs)).toBeLessThan(1);
    expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(await read(path.join(dir, 'out'), 'feed.json')).toContain('<strong>WORLD</strong>');
  });

  it('changing the site config parses no issue again (the body cache outlives the index)', async () => {
    const { readFile, writeFile } = await import('node:fs/promises');
    const dir = await makeSite({ 'content/one.md': '+++\ntitle = "One"\ndate = 2026-01-01\n+++\nHello **world**.\n' });
    const config = path.join(dir, 'gazette.toml');
    expect((await gazette('build', '--config', config)).code).toBe(0);
    expect((await gazette('build', '--config', config)).code).toBe(0);
    await tamperPack(path.join(dir, '.gazette-cache', 'content'), 'world', 'C4CHE');
    await writeFile(config, (await readFile(config, 'utf8')).replace('title = "Test Digest"', 'title = "Renamed Digest"'));
    expect((await gazette('build', '--config', config)).code).toBe(0);
    const feed = await read(path.join(dir, 'out'), 'feed.json');
    expect(feed).toContain('Renamed Digest');
    expect(feed).toContain('C4CHE');
  });
});

describe('warm builds', () => {
  const issue = (n: number, extra = '') =>
    `+++\ntitle = "第 ${n} 期"\ndate = 2026-01-${String(n).padStart(2, '0')}\ntags = ["t${n % 3}"]\n+++\n\n**要点** ${n}。${extra}\n`;

  it(
    'separate processes a day apart: a warm build at the later clock writes what a cold one then writes, and what the first wrote',
    async () => {
      const { cp, rm, writeFile } = await import('node:fs/promises');
      const files: Record<string, string> = {};
      for (let n = 1; n <= 6; n++) files[`content/issue-${n}.md`] = issue(n);
      const dir = await makeSite(files, BASE_CONFIG.replace('postal_address =', 'preview_limit = 2\npostal_address ='));
      // Each process's clock, moved by a preload: nothing in memory carries over, and anything that reads the clock shows.
      const clock = path.join(dir, '..', `${path.basename(dir)}-clock.mjs`);
      madeFolders.add(clock);
      await writeFile(
        clock,
        `const shift = Number(process.env.GAZETTE_TEST_CLOCK_SHIFT_MS || 0);
const RealDate = Date;
class ShiftedDate extends RealDate {
  constructor(...args) { if (args.length === 0) super(RealDate.now() + shift); else super(...args); }
  static now() { return RealDate.now() + shift; }
}
globalThis.Date = ShiftedDate;
`,
      );
      const buildAt = async (site: string, shift: number) => {
        const run = await gazetteProcess(['build', '--config', path.join(site, 'gazette.toml')], ROOT, {
          NODE_OPTIONS: `--import=${clock}`,
          GAZETTE_TEST_CLOCK_SHIFT_MS: String(shift),
        });
        expect(run.code, run.stderr).toBe(0);
        return snapshot(path.join(site, 'out'));
      };
      const day = 24 * 3600_000;
      const first = await buildAt(dir, 0);
      const warm = await buildAt(dir, day);
      const cold = `${dir}-cold-clock`;
      madeFolders.add(cold);
      await cp(dir, cold, { recursive: true });
      for (const leftover of ['out', '.out.spare', '.gazette-cache']) await rm(path.join(cold, leftover), { recursive: true, force: true });
      expect(warm).toEqual(await buildAt(cold, day));
      expect(warm).toEqual(first);
    },
    WHOLE_BUILDS,
  );

  it('a warm build writes exactly what a cold build of the same content writes', async () => {
    const { cp, mkdir, rm, unlink, writeFile } = await import('node:fs/promises');
    const files: Record<string, string> = {};
    for (let n = 1; n <= 8; n++) files[`content/issue-${n}.md`] = issue(n);
    const dir = await makeSite(files, BASE_CONFIG.replace('postal_address =', 'preview_limit = 3\npostal_address ='));
    const config = path.join(dir, 'gazette.toml');
    // Three builds, so that the third starts from the spare the second left.
    for (let i = 0; i < 3; i++) expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(await snapshot(path.join(dir, '.out.spare'))).toEqual(await snapshot(path.join(dir, 'out')));
    // Add an issue, change one, delete one, then build warm.
    await writeFile(path.join(dir, 'content', 'issue-9.md'), issue(9));
    await writeFile(path.join(dir, 'content', 'issue-4.md'), issue(4, ' 改过了。'));
    await unlink(path.join(dir, 'content', 'issue-2.md'));
    expect((await gazette('build', '--config', config)).code).toBe(0);
    const warm = await snapshot(path.join(dir, 'out'));
    // The same content built cold, in a copy without cache, output or spare.
    const coldBuild = async () => {
      const cold = `${dir}-cold`;
      madeFolders.add(cold);
      await rm(cold, { recursive: true, force: true });
      await cp(dir, cold, { recursive: true });
      for (const leftover of ['out', '.out.spare', '.gazette-cache']) await rm(path.join(cold, leftover), { recursive: true, force: true });
      expect((await gazette('build', '--config', path.join(cold, 'gazette.toml'))).code).toBe(0);
      const made = await snapshot(path.join(cold, 'out'));
      await rm(cold, { recursive: true, force: true });
      return made;
    };
    expect(warm).toEqual(await coldBuild());
    expect(Object.keys(warm).some((f) => f.includes('issue-2'))).toBe(false);
    expect(
      Object.keys(warm)
        .filter((f) => f.startsWith('email/'))
        .sort(),
    ).toEqual(['email/issue-7.html', 'email/issue-7.txt', 'email/issue-8.html', 'email/issue-8.txt', 'email/issue-9.html', 'email/issue-9.txt']);
    // A page template of the site's own, then a changed config: every page is made anew, in both
    // of the output folders a warm build starts from in turn.
    await mkdir(path.join(dir, 'page-templates'));
    const layout = await readFile(path.join(ROOT, 'page-templates', 'layout.hbs'), 'utf8');
    await writeFile(path.join(dir, 'page-templates', 'layout.hbs'), layout.replace('</body>', '<!-- ours --></body>'));
    for (let i = 0; i < 2; i++) expect((await gazette('build', '--config', config)).code).toBe(0);
    const themed = await snapshot(path.join(dir, 'out'));
    expect(themed).toEqual(await coldBuild());
    expect(await read(path.join(dir, 'out'), 'posts/issue-1/index.html')).toContain('<!-- ours -->');
    await writeFile(config, (await readFile(config, 'utf8')).replace('[site]', '[feeds]\nlimit = 2\n\n[site]'));
    for (let i = 0; i < 2; i++) expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(await snapshot(path.join(dir, 'out'))).toEqual(await coldBuild());
    expect(await snapshot(path.join(dir, 'out'))).not.toEqual(themed);
  });

  it('a file edited by hand in out/ is rewritten, one added is removed; a .out.spare Gazette did not make is left alone', async () => {
    const { mkdir, readFile, writeFile } = await import('node:fs/promises');
    const dir = await makeSite({ 'content/one.md': issue(1), 'content/two.md': issue(2) });
    const config = path.join(dir, 'gazette.toml');
    await mkdir(path.join(dir, '.out.spare'));
    await writeFile(path.join(dir, '.out.spare', 'mine.txt'), 'not Gazette’s');
    for (let i = 0; i < 2; i++) expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(await read(path.join(dir, '.out.spare'), 'mine.txt')).toBe('not Gazette’s');
    // The second build left its own spare; with it gone, the next builds start afresh, then from it.
    const { rm } = await import('node:fs/promises');
    await rm(path.join(dir, '.out.spare'), { recursive: true });
    for (let i = 0; i < 2; i++) expect((await gazette('build', '--config', config)).code).toBe(0);
    const before = await snapshot(path.join(dir, 'out'));
    const out = path.join(dir, 'out');
    const page = Object.keys(before).find((f) => f.endsWith('index.html') && f.includes('two'))!;
    await writeFile(path.join(out, 'index.html'), 'edited by hand');
    // The same size as what was there: only the file's identity tells.
    const text = await readFile(path.join(out, page), 'utf8');
    await writeFile(path.join(out, page), text.replace('<', '{'));
    await writeFile(path.join(out, path.dirname(page), 'added.html'), 'added by hand');
    await mkdir(path.join(out, 'tags', 'added'), { recursive: true });
    await writeFile(path.join(out, 'tags', 'added', 'index.html'), 'added by hand');
    // Twice: the edited folder becomes the spare that the second build starts from.
    for (let i = 0; i < 2; i++) {
      expect((await gazette('build', '--config', config)).code).toBe(0);
      expect(await snapshot(out)).toEqual(before);
    }
  });

  it('a manifest in the cache that names a path out of the output folder removes nothing there', async () => {
    const { readdir, readFile, writeFile } = await import('node:fs/promises');
    const dir = await makeSite({ 'content/one.md': issue(1) });
    const config = path.join(dir, 'gazette.toml');
    for (let i = 0; i < 2; i++) expect((await gazette('build', '--config', config)).code).toBe(0);
    await writeFile(path.join(dir, 'victim.txt'), 'mine');
    const manifests = path.join(dir, '.gazette-cache', 'output');
    const names = (await readdir(manifests)).filter((n) => n.endsWith('.json'));
    expect(names).toHaveLength(2);
    for (const name of names) {
      const manifest = JSON.parse(await readFile(path.join(manifests, name), 'utf8'));
      manifest.files['../victim.txt'] = 'x 1:2:3:4';
      manifest.dirs['..'] = '1:2:3:4';
      await writeFile(path.join(manifests, name), JSON.stringify(manifest));
    }
    for (let i = 0; i < 2; i++) expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(await read(dir, 'victim.txt')).toBe('mine');
    expect(await read(path.join(dir, 'out'), 'index.html')).toContain('第 1 期');
  });

  it('renders only the newest email.preview_limit emails; send --issue renders an older one when asked', async () => {
    const dir = await makeSite(
      { 'content/one.md': issue(1), 'content/two.md': issue(2) },
      `${BASE_CONFIG.replace('postal_address =', 'preview_limit = 1\npostal_address =')}\n[server]\npublic_url = "https://news.example.com/"\n`,
    );
    const config = path.join(dir, 'gazette.toml');
    expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(Object.keys(await snapshot(path.join(dir, 'out', 'email'))).sort()).toEqual(['two.html', 'two.txt']);
    const dry = await gazette('send', '--issue', 'one', '--dry-run', '--yes', '--to', 'me@example.org', '--config', config);
    expect(dry.code, dry.stderr).toBe(0);
    const outbox = await snapshot(path.join(dir, 'data', 'outbox', 'one'));
    expect(Object.keys(outbox)).toHaveLength(1);
  });
});

describe('emails rendered on worker threads', () => {
  it(
    'a real build with MJML on worker threads writes the same bytes as one in a single thread',
    async () => {
      const { execFile } = await import('node:child_process');
      const { cp, rm } = await import('node:fs/promises');
      // An inline <mj-style> makes MJML rewrite the whole email (juice): no shell, every email is MJML's.
      const template = (await read(ROOT, 'email-templates/issue.mjml')).replace(
        '<mj-head>',
        '<mj-head>\n    <mj-style inline="inline">.gz-x { color: #111111; }</mj-style>',
      );
      const files: Record<string, string> = { 'email-templates/issue.mjml': template };
      for (let i = 0; i < 60; i++) {
        files[`content/issue-${i}.md`] =
          `+++\ntitle = "第 ${i} 期：**要点**"\ndate = 2026-01-01T${String(i % 24).padStart(2, '0')}:${String(i).padStart(2, '0')}:00\n+++\n\n**是什么**：第 ${i} 段。\n\n- [链接](https://example.org/${i})\n`;
      }
      const dir = await makeSite(files, BASE_CONFIG.replace('postal_address =', 'preview_limit = 60\npostal_address ='));
      const other = `${dir}-single`;
      madeFolders.add(other);
      await cp(dir, other, { recursive: true });
      const run = (cwd: string, env: NodeJS.ProcessEnv) =>
        new Promise<string>((resolve, reject) =>
          execFile(
            process.execPath,
            [path.join(ROOT, 'bin/gazette.js'), 'build'],
            { cwd, env: { ...process.env, GAZETTE_DEBUG: '1', ...env } },
            (err, _out, stderr) => (err ? reject(new Error(stderr)) : resolve(stderr)),
          ),
        );
      expect(await run(dir, { GAZETTE_WORKERS: '2' })).toContain('rendering 60 emails with MJML on 2 worker threads');
      expect(await run(other, { GAZETTE_WORKERS: '1' })).not.toContain('worker threads');
      const workers = await snapshot(path.join(dir, 'out'));
      expect(Object.keys(workers).filter((f) => f.startsWith('email/'))).toHaveLength(120);
      expect(workers).toEqual(await snapshot(path.join(other, 'out')));
      await rm(other, { recursive: true, force: true });
    },
    WHOLE_BUILDS,
  );

  it(
    "a new issue's email is filled into the shell kept by the last build, with no MJML; a changed template makes a new shell",
    async () => {
      const { cp, readdir, rm, writeFile } = await import('node:fs/promises');
      const post = (n: number) => `+++\ntitle = "第 ${n} 期"\ndate = 2026-01-0${n}\n+++\n\n**要点** ${n}。\n`;
      const dir = await makeSite({ 'content/1.md': post(1), 'content/2.md': post(2) });
      const build = async () => {
        const run = await gazetteProcess(['build'], dir, { GAZETTE_DEBUG: '1' });
        expect(run.code, run.stderr).toBe(0);
        return run.stderr;
      };
      const shells = () => readdir(path.join(dir, '.gazette-cache', 'email', 'shells'));
      expect(await build()).toContain('rendering 2 emails with 1 MJML renderings');
      expect(await shells()).toHaveLength(1);
      await writeFile(path.join(dir, 'content', '3.md'), post(3));
      expect(await build()).toContain('rendering 1 emails with 0 MJML renderings');
      // The same bytes as a build from nothing.
      const fresh = `${dir}-fresh`;
      madeFolders.add(fresh);
      await cp(path.join(dir, 'content'), path.join(fresh, 'content'), { recursive: true });
      await cp(path.join(dir, 'gazette.toml'), path.join(fresh, 'gazette.toml'));
      expect((await gazetteProcess(['build'], fresh)).code).toBe(0);
      expect(await snapshot(path.join(dir, 'out'))).toEqual(await snapshot(path.join(fresh, 'out')));
      await rm(fresh, { recursive: true, force: true });
      // A template changed outside its holes: a new shell, and the old one goes.
      const template = (await read(ROOT, 'email-templates/issue.mjml')).replace('background-color="#f3f4f6"', 'background-color="#eeeeee"');
      await cp(path.join(ROOT, 'email-templates'), path.join(dir, 'email-templates'), { recursive: true });
      await writeFile(path.join(dir, 'email-templates', 'issue.mjml'), template);
      expect(await build()).toContain('rendering 3 emails with 1 MJML renderings');
      expect(await shells()).toHaveLength(1);
      expect(await read(path.join(dir, 'out'), 'email/3.html')).toContain('#eeeeee');
    },
    WHOLE_BUILDS,
  );

  it(
    'a few emails go to the MJML worker started with the build, with the same bytes as in one thread',
    async () => {
      const { execFile } = await import('node:child_process');
      const { cp, rm } = await import('node:fs/promises');
      const dir = await makeSite({
        'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-01\n+++\n\n**甲**。\n',
        'content/b.md': '+++\ntitle = "B"\ndate = 2026-01-02\n+++\n\n乙。\n',
      });
      const other = `${dir}-single`;
      madeFolders.add(other);
      await cp(dir, other, { recursive: true });
      const run = (cwd: string, workers: string) =>
        new Promise<void>((resolve, reject) =>
          execFile(
            process.execPath,
            [path.join(ROOT, 'bin/gazette.js'), 'build'],
            { cwd, env: { ...process.env, GAZETTE_WORKERS: workers } },
            (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve()),
          ),
        );
      await run(dir, '2');
      await run(other, '1');
      const withWorker = await snapshot(path.join(dir, 'out'));
      expect(Object.keys(withWorker).filter((f) => f.startsWith('email/'))).toHaveLength(4);
      expect(withWorker).toEqual(await snapshot(path.join(other, 'out')));
      await rm(other, { recursive: true, force: true });
    },
    WHOLE_BUILDS,
  );
});
