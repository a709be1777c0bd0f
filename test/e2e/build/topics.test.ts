import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertWellFormed, checkJsonFeed, readFeed } from '../../helpers/feeds.js';
import { BASE_CONFIG, gazette, makeSite, read } from '../../helpers/site.js';

const TOPICS = '\n[topics.models]\nlabel = "Models & <i>weights</i>"\ntags = ["models"]\n\n[topics.tools]\nlabel = "Tools"\ntags = ["tools"]\n';
const issue = (title: string, day: number, tags: string[]) =>
  `+++\ntitle = "${title}"\ndate = 2026-02-0${day}T08:00:00+08:00\ntags = ${JSON.stringify(tags)}\n+++\n\nAbout ${title}.\n`;

describe('a feed per topic', () => {
  it('RSS, Atom and JSON Feed under topics/<key>/ hold the issues of that topic only, each valid, and every page links them', async () => {
    const dir = await makeSite(
      {
        'content/a.md': issue('Alpha', 1, ['models']),
        'content/b.md': issue('Beta', 2, ['tools']),
        'content/c.md': issue('Gamma', 3, ['models', 'tools']),
        'content/d.md': issue('Delta', 4, ['misc']),
      },
      `${BASE_CONFIG}${TOPICS}`,
    );
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code, run.stderr).toBe(0);
    const out = path.join(dir, 'out');
    for (const [key, titles] of [
      ['models', ['Gamma', 'Alpha']],
      ['tools', ['Gamma', 'Beta']],
    ] as const) {
      const rss = await read(out, `topics/${key}/rss.xml`);
      const atom = await read(out, `topics/${key}/atom.xml`);
      for (const xml of [rss, atom]) expect(() => assertWellFormed(xml)).not.toThrow();
      const feed = readFeed(rss);
      expect(feed.items.map((i) => i.title)).toEqual(titles);
      expect(feed.self).toBe(`https://news.example.com/topics/${key}/rss.xml`);
      const atomFeed = readFeed(atom);
      expect(atomFeed.meta.type).toBe('atom');
      expect(atomFeed.items.map((i) => i.title)).toEqual(titles);
      expect(atomFeed.self).toBe(`https://news.example.com/topics/${key}/atom.xml`);
      const json = await read(out, `topics/${key}/feed.json`);
      expect(checkJsonFeed(json)).toEqual([]);
      expect(JSON.parse(json).feed_url).toBe(`https://news.example.com/topics/${key}/feed.json`);
      expect(JSON.parse(json).items.map((i: { title: string }) => i.title)).toEqual(titles);
    }
    // A topic's title is text in every format.
    expect(readFeed(await read(out, 'topics/models/atom.xml')).title).toBe('Models & <i>weights</i> · Test Digest');
    // The site's feeds keep every issue; every page links the topics' feeds.
    expect(readFeed(await read(out, 'rss.xml')).items).toHaveLength(4);
    const home = await read(out, 'index.html');
    expect(home).toContain('href="https://news.example.com/topics/tools/rss.xml"');
    expect(home).toContain('RSS · Models &amp; &lt;i&gt;weights&lt;/i&gt;');
  });
});
