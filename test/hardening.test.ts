import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gazette, makeSite, snapshot } from './helpers/site.js';

const ISSUE = '+++\ntitle = "A"\ndate = 2026-01-01\n+++\nA\n';
const SITE = '[site]\ntitle = "T"\nbase_url = "https://t.example/"\n';
const build = (dir: string) => gazette('build', '--config', path.join(dir, 'gazette.toml'));

describe('build.out and build.cache: Gazette replaces or prunes only what it made', () => {
  it('refuses to replace a folder it did not make, leaving every file in it', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE, 'www/other-site/index.html': 'not ours', 'www/notes.txt': 'mine' }, `${SITE}[build]\nout = "www"\n`);
    const before = await snapshot(path.join(dir, 'www'));
    const run = await build(dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: \S*www: build\.out holds files Gazette did not write/);
    expect(await snapshot(path.join(dir, 'www'))).toEqual(before);
  });

  it('replaces a folder it made (its marker) or an empty one, build after build', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE }, `${SITE}[build]\nout = "public"\n`);
    await mkdir(path.join(dir, 'public'));
    expect((await build(dir)).code).toBe(0);
    expect(await readdir(path.join(dir, 'public'))).toContain('.gazette-output');
    expect((await build(dir)).code).toBe(0);
  });

  it('refuses the root, the home folder, the site folder and any folder holding a configured path, for out and cache', async () => {
    const cases: Array<[string, RegExp]> = [
      ['[build]\nout = "/"\n', /build\.out \(\/\) is the root of the file system/],
      [`[build]\nout = ${JSON.stringify(homedir())}\n`, /build\.out .* is your home folder/],
      ['[build]\nout = ".."\n', /build\.out .* would contain the site folder/],
      ['[build]\ncache = "."\n', /build\.cache .* is the site folder/],
      ['[build]\ncache = "content"\n', /build\.cache .* is content\.dir/],
      ['[build]\nout = "data"\n', /build\.out .* would contain subscribers\.database/],
      ['[build]\nout = "content/out"\n', /build\.out .* is inside content\.dir/],
      ['[build]\nout = "o"\ncache = "o/c"\n', /build\.out .* would contain build\.cache/],
    ];
    for (const [config, message] of cases) {
      const dir = await makeSite({ 'content/a.md': ISSUE }, SITE + config);
      const before = await snapshot(dir);
      const run = await build(dir);
      expect(run.code, config).toBe(1);
      expect(run.stderr, config).toMatch(message);
      expect(await snapshot(dir), config).toEqual(before);
    }
  });

  it('a cache pruned after a build removes only the entries it wrote', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE, 'cache/content/notes.md': 'keep me', 'cache/email/x.json': '{}' }, `${SITE}[build]\ncache = "cache"\n`);
    expect((await build(dir)).code).toBe(0);
    expect(await readFile(path.join(dir, 'cache/content/notes.md'), 'utf8')).toBe('keep me');
    expect(await readdir(path.join(dir, 'cache/email'))).toContain('x.json');
  });

  it('removes the temporary folders of a killed build, and only those', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE }, SITE);
    expect((await build(dir)).code).toBe(0);
    // A killed build's leftover (a process id that is not running), and a look-alike that is not Gazette's.
    await mkdir(path.join(dir, '.out.tmp-999999-0badf00d'));
    await writeFile(path.join(dir, '.out.tmp-999999-0badf00d', '.gazette-output'), await readFile(path.join(dir, 'out', '.gazette-output')));
    await mkdir(path.join(dir, '.out.tmp-999998-deadbeef'));
    await writeFile(path.join(dir, '.out.tmp-999998-deadbeef', 'mine.txt'), 'not Gazette');
    expect((await build(dir)).code).toBe(0);
    const names = await readdir(dir);
    expect(names).not.toContain('.out.tmp-999999-0badf00d');
    expect(names).toContain('.out.tmp-999998-deadbeef');
  });
});

describe('links and names', () => {
  it('publishes no file a link brings in from outside the site folder, and survives links in a loop', async () => {
    const secret = await makeSite({ 'secret.txt': 'TOP SECRET' }, SITE);
    const dir = await makeSite({ 'content/a.md': ISSUE, 'content/b/index.md': ISSUE.replace('"A"', '"B"'), 'static/ok.txt': 'fine' }, SITE);
    await symlink(path.join(secret, 'secret.txt'), path.join(dir, 'static', 'leak.txt'));
    await symlink(path.join(secret, 'secret.txt'), path.join(dir, 'content', 'b', 'leak.txt'));
    await symlink(secret, path.join(dir, 'content', 'elsewhere'));
    await symlink(path.join(dir, 'content'), path.join(dir, 'content', 'loop'));
    await symlink(path.join(dir, 'static'), path.join(dir, 'static', 'again'));
    const run = await build(dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: .*leak\.txt: a link to .*outside the site folder; not followed, not published/);
    const out = await snapshot(path.join(dir, 'out'));
    for (const [file] of Object.entries(out)) expect(await readFile(path.join(dir, 'out', file), 'utf8')).not.toContain('TOP SECRET');
    expect(Object.keys(out)).toContain('ok.txt');
  });

  it('refuses a slug that would overwrite a generated file, and one too long for a file name, naming the file', async () => {
    const feed = await makeSite(
      { 'content/a.md': ISSUE, 'content/b.md': '+++\ntitle = "B"\ndate = 2026-01-02\nslug = "rss.xml"\n+++\nB\n' },
      `${SITE}permalink = "/{slug}"\n`,
    );
    const clash = await build(feed);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/b\.md: its page would be written to rss\.xml, which is already the site's RSS feed/);
    const long = await makeSite({ 'content/a.md': `+++\ntitle = "A"\ndate = 2026-01-01\nslug = "${'长'.repeat(90)}"\n+++\nA\n` }, SITE);
    const tooLong = await build(long);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/a\.md: its .* would need a file name of \d+ bytes/);
    expect(tooLong.stderr).not.toContain('ENAMETOOLONG');
  });
});
