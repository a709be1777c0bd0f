import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { gazette, gazetteProcess, makeSite, snapshot } from '../../helpers/site.js';

const GOOD = '+++\ntitle = "Good"\ndate = 2026-01-01\n+++\nGood body.\n';

/** Each broken file, and what its one-line error must say. */
const BROKEN: Record<string, { text: string | Uint8Array; error: RegExp }> = {
  'content/bad-toml.md': { text: '+++\ntitle = "x"\ndate = = 1\n+++\n', error: /bad-toml\.md:3:\d+: invalid TOML front matter/ },
  'content/bad-yaml.md': { text: '---\ntitle: [unclosed\ndate: 2026-01-01\n---\n', error: /bad-yaml\.md:\d+:\d+: invalid YAML front matter/ },
  'content/no-title.md': { text: '+++\ndate = 2026-01-01\n+++\n', error: /no-title\.md:1: title: required, but missing/ },
  'content/no-date.md': { text: '---\ntitle: No date\n---\n', error: /no-date\.md:1: date: required, but missing/ },
  'content/bad-date.md': { text: '---\ntitle: Bad date\ndate: next tuesday\n---\n', error: /bad-date\.md:3: date: cannot read "next tuesday" as a date/ },
  'content/impossible-date.md': { text: '+++\ntitle = "x"\ndate = "2026-02-30"\n+++\n', error: /impossible-date\.md:3: date: cannot read "2026-02-30"/ },
  'content/unclosed.md': {
    text: '+++\ntitle = "x"\ndate = 2026-01-01\nbody without a closing line\n',
    error: /unclosed\.md:1: front matter opened with \+\+\+ is never closed/,
  },
  'content/gbk.md': {
    text: iconv.encode('+++\ntitle = "中文标题"\ndate = 2026-01-01\n+++\n正文\n', 'gbk'),
    error: /gbk\.md:2: not valid UTF-8 text \(is it saved in another encoding, such as GBK\?\)/,
  },
  'content/bad-tags.md': { text: '+++\ntitle = "x"\ndate = 2026-01-01\ntags = [{ a = 1 }]\n+++\n', error: /bad-tags\.md:4: tags: must be a list of text/ },
  'content/bad-author.md': {
    text: '---\ntitle: x\ndate: 2026-01-01\nauthor:\n  name: Ann\n  email: ann at example\n---\n',
    error: /bad-author\.md:4: author: email: "ann at example" is not an email address/,
  },
  'content/bad-slug.md': { text: '+++\ntitle = "x"\ndate = 2026-01-01\nslug = "a/b"\n+++\n', error: /bad-slug\.md:4: slug: "a\/b" may not contain/ },
};

async function builtSite(files: Record<string, string | Uint8Array>) {
  const dir = await makeSite({ 'content/good.md': GOOD });
  const config = path.join(dir, 'gazette.toml');
  expect((await gazette('build', '--config', config)).code).toBe(0);
  const before = await snapshot(path.join(dir, 'out'));
  expect(Object.keys(before)).toContain('rss.xml');
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return { dir, config, before };
}

describe('bad input', () => {
  for (const [file, { text, error }] of Object.entries(BROKEN)) {
    it(`${path.basename(file)}: exit 1, one line naming the file, out/ untouched`, async () => {
      const { dir, config, before } = await builtSite({ [file]: text });
      const run = await gazette('build', '--config', config);
      expect(run.code).toBe(1);
      const lines = run.stderr.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(error);
      expect(lines[1]).toBe('gazette: 1 problem in 1 file; nothing was written');
      expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
    });
  }

  it('reports every broken file in one run', async () => {
    const files = Object.fromEntries(Object.entries(BROKEN).map(([f, { text }]) => [f, text]));
    const { dir, config, before } = await builtSite(files);
    const run = await gazette('build', '--config', config);
    expect(run.code).toBe(1);
    for (const [file, { error }] of Object.entries(BROKEN)) {
      expect(run.stderr, file).toMatch(error);
    }
    expect(run.stderr).toContain(`gazette: ${Object.keys(BROKEN).length} problems in ${Object.keys(BROKEN).length} files; nothing was written`);
    expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
  });

  it('reports every problem of one file, each with its line', async () => {
    const { config } = await builtSite({ 'content/many.md': '+++\ndraft = "maybe"\ndate = "soon"\n+++\n' });
    const run = await gazette('build', '--config', config);
    expect(run.stderr).toMatch(/many\.md:1: title: required/);
    expect(run.stderr).toMatch(/many\.md:3: date: cannot read "soon"/);
    expect(run.stderr).toMatch(/many\.md:2: draft: must be true or false/);
  });

  it('names both files that share a slug', async () => {
    const { dir, config, before } = await builtSite({
      'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-02\nslug = "same"\n+++\n',
      'content/same/index.md': '+++\ntitle = "B"\ndate = 2026-01-03\n+++\n',
    });
    const run = await gazette('build', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*content\/same\/index\.md: slug "same" is also used by .*content\/a\.md; give one of them another slug$/m);
    expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
  });

  it('a real process: exit code 1, no stack trace, out/ untouched', async () => {
    const { dir, config, before } = await builtSite({ 'content/bad.md': '+++\ntitle = \n+++\n' });
    const run = await gazetteProcess(['build', '--config', config], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).toMatch(/^error: content\/bad\.md:2:\d+: invalid TOML front matter/);
    expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
  });

  it('a missing content folder is one clear error', async () => {
    const dir = await makeSite({});
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/content: content folder not found \(content\.dir\)/);
  });

  it('unknown commands and options exit non-zero with usage help', async () => {
    expect((await gazette('frobnicate')).code).not.toBe(0);
    expect((await gazette('build', '--nope')).code).not.toBe(0);
    const help = await gazette('build', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--config');
    expect(help.stdout).toContain('--drafts');
  });
});
