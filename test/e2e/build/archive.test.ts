import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFeed } from '../../helpers/feeds.js';
import { gazette, makeSite, snapshot } from '../../helpers/site.js';

const CONFIG = `[site]
title = "Archive"
base_url = "https://news.example.com/digest/"
language = "zh-CN"
timezone = "Asia/Shanghai"
[feeds]
limit = 3
[server]
public_url = "https://news.example.com/newsletter/"
`;

function issue(i: number): string {
  const tags = i % 2 ? '["AI", "日报"]' : '["Open source"]';
  return `+++\ntitle = "第 ${i} 期"\ndate = 2026-01-${String(i).padStart(2, '0')}T08:00:00+08:00\ntags = ${tags}\n+++\n\nSee [the first issue](/digest/posts/issue-1/) and ![a diagram](diagram.svg).\n`;
}

describe('the archive in out/', () => {
  it('every internal link and image on every page, feed and the sitemap resolves to a file in out/', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 8; i++) {
      files[`content/issue-${i}/index.md`] = issue(i);
      files[`content/issue-${i}/diagram.svg`] = '<svg xmlns="http://www.w3.org/2000/svg"/>';
    }
    const dir = await makeSite(files, CONFIG);
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code, run.stderr).toBe(0);
    const out = path.join(dir, 'out');
    const all = Object.keys(await snapshot(out));
    expect(all).toEqual(
      expect.arrayContaining([
        'index.html',
        'archive/1/index.html',
        'archive/2/index.html',
        'archive/3/index.html',
        '404.html',
        'sitemap.xml',
        'tags/ai/index.html',
        'tags/ai/rss.xml',
        'tags/日报/index.html',
        'tags/open-source/rss.xml',
      ]),
    );
    const base = 'https://news.example.com/digest/';
    const missing: string[] = [];
    let checked = 0;
    for (const file of all.filter((f) => /\.(html|xml|json)$/.test(f))) {
      const text = await readFile(path.join(out, file), 'utf8');
      for (const m of text.matchAll(/(?:href|src)="([^"]+)"|<(?:loc|link)>([^<]+)<|"url":\s*"([^"]+)"/g)) {
        const url = (m[1] ?? m[2] ?? m[3])!.replaceAll('&amp;', '&');
        if (!url.startsWith(base)) continue;
        let rel = decodeURIComponent(new URL(url).pathname.slice(new URL(base).pathname.length));
        if (rel === '' || rel.endsWith('/')) rel += 'index.html';
        checked++;
        if (
          !(await access(path.join(out, rel)).then(
            () => true,
            () => false,
          ))
        )
          missing.push(`${file}: ${url}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(80);
  });

  it('lists the newest feeds.limit issues at home and every issue on archive pages, links each issue to the ones before and after it, and has tags, Open Graph and a 404 page', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 5; i++) files[`content/issue-${i}.md`] = issue(i);
    const dir = await makeSite(files, CONFIG);
    expect((await gazette('build', '--config', path.join(dir, 'gazette.toml'))).code).toBe(0);
    const read = (rel: string) => readFile(path.join(dir, 'out', rel), 'utf8');
    const home = await read('index.html');
    expect(home.match(/<li>/g)).toHaveLength(3);
    // Five issues, three to a page: the archive's first page holds the three oldest; the home page's
    // next older issue (the second) is on it.
    expect(home).toContain('rel="next" href="https://news.example.com/digest/archive/1/"');
    const titles = async (rel: string) => [...(await read(rel)).matchAll(/<a href="[^"]*\/posts\/[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]);
    expect(await titles('archive/1/index.html')).toEqual(['第 3 期', '第 2 期', '第 1 期']);
    expect(await titles('archive/2/index.html')).toEqual(['第 5 期', '第 4 期']);
    expect(await read('archive/2/index.html')).toContain('rel="prev" href="https://news.example.com/digest/"');
    expect(await read('archive/2/index.html')).toContain('rel="next" href="https://news.example.com/digest/archive/1/"');
    // The page's heading says which page; its dates are written as the email writes them, in the site's language.
    expect(await read('archive/1/index.html')).toContain('<h1>第 1 页</h1>\n<p class="meta">2026年1月1日 – 2026年1月3日</p>');
    expect(home).toMatch(/<time datetime="2026-01-05T[^"]*">2026年1月5日<\/time>/);
    // The home page's heading is the site's title: it is not repeated above it.
    expect(home).toContain('<h1>Archive</h1>');
    expect(home).not.toContain('>Archive</a>');
    expect(home).not.toContain('<header>');
    expect(await read('posts/issue-3/index.html')).toContain('<header><a href="https://news.example.com/digest/">Archive</a></header>');
    // A tag's page lists the title of each of its issues.
    expect(await titles('tags/ai/index.html')).toEqual(['第 5 期', '第 3 期', '第 1 期']);
    expect(home).toContain('<meta property="og:title" content="Archive">');
    const middle = await read('posts/issue-3/index.html');
    expect(middle).toContain('rel="prev" href="https://news.example.com/digest/posts/issue-2/"');
    expect(middle).toContain('rel="next" href="https://news.example.com/digest/posts/issue-4/"');
    expect(middle).toContain('<meta property="og:type" content="article">');
    expect(middle).toContain('href="https://news.example.com/digest/tags/%E6%97%A5%E6%8A%A5/"');
    const tagFeed = readFeed(await read('tags/ai/rss.xml'));
    expect(tagFeed.items.map((i) => i.title)).toEqual(['第 5 期', '第 3 期', '第 1 期']);
    expect(await read('404.html')).toContain('页面不存在');
  });

  it('an archive page keeps its issues as the archive grows: a new issue changes the newest archive page and no other', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 7; i++) files[`content/issue-${i}.md`] = issue(i);
    const dir = await makeSite(files, CONFIG);
    const config = path.join(dir, 'gazette.toml');
    expect((await gazette('build', '--config', config)).code).toBe(0);
    const before = await snapshot(path.join(dir, 'out', 'archive'));
    expect(Object.keys(before).sort()).toEqual(['1/index.html', '2/index.html', '3/index.html']);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'content', 'issue-8.md'), issue(8));
    expect((await gazette('build', '--config', config)).code).toBe(0);
    const after = await snapshot(path.join(dir, 'out', 'archive'));
    expect(after['1/index.html']).toBe(before['1/index.html']);
    expect(after['2/index.html']).toBe(before['2/index.html']);
    expect(after['3/index.html']).not.toBe(before['3/index.html']);
    expect(await readFile(path.join(dir, 'out', 'archive', '3', 'index.html'), 'utf8')).toContain('第 8 期');
    // A ninth fills the newest page; a tenth starts a new one, and the page before it now links to it.
    for (const i of [9, 10]) {
      await writeFile(path.join(dir, 'content', `issue-${i}.md`), issue(i));
      expect((await gazette('build', '--config', config)).code).toBe(0);
    }
    const grown = await snapshot(path.join(dir, 'out', 'archive'));
    expect(Object.keys(grown).sort()).toEqual(['1/index.html', '2/index.html', '3/index.html', '4/index.html']);
    expect(grown['2/index.html']).toBe(before['2/index.html']);
    expect(await readFile(path.join(dir, 'out', 'archive', '3', 'index.html'), 'utf8')).toContain(
      'rel="prev" href="https://news.example.com/digest/archive/4/"',
    );
  });

  it("uses the site's own page template when there is one, and names its line when it is broken", async () => {
    const { readFile: read } = await import('node:fs/promises');
    const { ROOT } = await import('../../helpers/site.js');
    const shipped = await read(path.join(ROOT, 'page-templates', 'layout.hbs'), 'utf8');
    const custom = shipped.replace('<header>', '<header class="mine">');
    const dir = await makeSite({ 'content/issue-1.md': issue(1), 'page-templates/layout.hbs': custom }, CONFIG);
    expect((await gazette('build', '--config', path.join(dir, 'gazette.toml'))).code).toBe(0);
    expect(await readFile(path.join(dir, 'out', 'posts', 'issue-1', 'index.html'), 'utf8')).toContain('<header class="mine">');
    const broken = await makeSite({ 'content/issue-1.md': issue(1), 'page-templates/layout.hbs': 'line one\n<title>{{titel}}</title>\n' }, CONFIG);
    const run = await gazette('build', '--config', path.join(broken, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/page-templates\/layout\.hbs:2:\d+: page template: "titel" not defined/);
  });
});
